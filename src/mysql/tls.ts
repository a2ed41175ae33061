/** Verified TLS between the members of a ReplicatedMySql, and for its clients. */
import type { Duration } from 'cdk8s';

/** Who issues a cert-manager Certificate. */
export enum CertManagerIssuerKind {
  /** An Issuer in the database's namespace. */
  ISSUER = 'Issuer',
  /** A ClusterIssuer. */
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/** Options shared by every TLS choice. */
export interface MySqlTlsOptions {
  /**
   * Members verify each other's certificate against the CA. Turning TLS on for a running cluster
   * takes two rollouts: first `verifyPeers: false` (every member presents the new certificate;
   * the members' connections stay encrypted without verification), then the default. In one step
   * the first replicas restarted would refuse the primary's old self-signed certificate, and the
   * rolling update would stop there (`cdk8s-stateful check` refuses that change).
   * @default true
   */
  readonly verifyPeers?: boolean;
}

/** Options of {@link MySqlTls.certManager}. */
export interface MySqlCertManagerOptions extends MySqlTlsOptions {
  /**
   * Name of the Issuer (or ClusterIssuer) that signs the certificate. It must write `ca.crt` into
   * the Secret (a CA issuer does; ACME issuers cannot issue names under cluster.local anyway), and
   * its CA should sign nothing but this database's certificates: MySQL's clone plugin checks the
   * donor's CA, not its name.
   */
  readonly issuerName: string;
  /**
   * Issuer or ClusterIssuer.
   * @default CertManagerIssuerKind.ISSUER
   */
  readonly issuerKind?: CertManagerIssuerKind;
  /**
   * The Secret cert-manager writes.
   * @default `<name>-tls`
   */
  readonly secretName?: string;
  /**
   * Validity of each certificate.
   * @default Duration.days(90)
   */
  readonly duration?: Duration;
  /**
   * Renew this long before expiry (mysqld reloads the renewed certificate without a restart).
   * @default Duration.days(30)
   */
  readonly renewBefore?: Duration;
}

/**
 * Where the members' certificate and the cluster's CA come from. With either choice every
 * member presents the same certificate (its names cover every member and Service), and members
 * verify each other's identity against the CA: replication (`SOURCE_SSL_VERIFY_SERVER_CERT`),
 * CLONE (`clone_ssl_ca`) and the members' checks of each other (`--ssl-mode=VERIFY_IDENTITY`).
 * Without a choice the traffic is encrypted with certificates each mysqld generates itself, but
 * not authenticated: whoever answers at a member's address is believed.
 */
export class MySqlTls {
  /**
   * A Secret you provide, in the layout cert-manager writes: `ca.crt` (the CA that signed it),
   * `tls.crt` (a certificate whose names cover `*.<name>.<namespace>.svc.<domain>` and the
   * Services `<name>-primary` and `<name>-read`) and `tls.key`.
   */
  public static fromSecret(secretName: string, options: MySqlTlsOptions = {}): MySqlTls {
    return new MySqlTls(secretName, undefined, options.verifyPeers);
  }

  /** A cert-manager `Certificate` the construct emits for the members' and Services' names. */
  public static certManager(options: MySqlCertManagerOptions): MySqlTls {
    return new MySqlTls(undefined, { ...options }, options.verifyPeers);
  }

  private constructor(
    /** The Secret name, when you provide the Secret. */
    public readonly secretName: string | undefined,
    /** @internal */ public readonly _certManager: MySqlCertManagerOptions | undefined,
    /** @internal */ public readonly _verifyPeers: boolean | undefined,
  ) {}
}
