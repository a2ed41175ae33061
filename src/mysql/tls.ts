/** Verified TLS between the members of a ReplicatedMySql, and for its clients. */
import { Duration } from 'cdk8s';
import { Validator } from '../errors';
import { checkDns1123Subdomain } from '../names';

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

/** The Secret of the cluster's certificate, with a tls choice. */
export function planTls(v: Validator, tls: MySqlTls | undefined, name: string, namespace: string | undefined): string | undefined {
  if (tls === undefined) return undefined;
  if (!(tls instanceof MySqlTls)) v.fail('tls', tls, 'is not MySqlTls', 'use MySqlTls.fromSecret("mysql-tls") or MySqlTls.certManager({ issuerName: "ca-issuer" })');
  if (tls._verifyPeers !== undefined && typeof tls._verifyPeers !== 'boolean') v.fail('tls.verifyPeers', tls._verifyPeers, 'must be true or false', 'remove it (true), or false for the first of two rollouts');
  const manager = tls._certManager;
  const secretName = tls.secretName ?? manager?.secretName ?? `${name}-tls`;
  const problem = checkDns1123Subdomain(secretName);
  if (problem) v.fail(tls.secretName !== undefined ? 'tls (Secret name)' : 'tls.secretName', secretName, problem, 'pass the name of the Secret that holds ca.crt, tls.crt and tls.key');
  if (manager) {
    if (typeof manager.issuerName !== 'string' || checkDns1123Subdomain(manager.issuerName)) {
      v.fail('tls.issuerName', manager.issuerName, 'is not the name of an Issuer or ClusterIssuer', 'pass the name of your cert-manager CA issuer');
    }
    if (manager.issuerKind !== undefined && !Object.values(CertManagerIssuerKind).includes(manager.issuerKind)) {
      v.fail('tls.issuerKind', manager.issuerKind, 'is not a CertManagerIssuerKind', 'use CertManagerIssuerKind.ISSUER or CertManagerIssuerKind.CLUSTER_ISSUER');
    }
    const days = (d: Duration | undefined, fallback: number) => (d === undefined ? fallback : d.toHours() / 24);
    const duration = days(manager.duration, 90);
    const renew = days(manager.renewBefore, 30);
    if (!(duration >= 1) || !(renew > 0) || renew >= duration) {
      v.fail('tls.renewBefore', `${renew} days`, `must be positive and shorter than the duration (${duration} days)`, 'use Duration.days(30) with the default duration of 90 days');
    }
  }
  if (namespace === undefined) {
    v.fail('namespace', undefined, 'is needed with a tls choice: the certificate names the members as <pod>.<service>.<namespace>.svc', 'set namespace on the chart or on the ReplicatedMySql');
  }
  return secretName;
}
