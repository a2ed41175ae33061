// A typed L1 for cert-manager's Certificate (cert-manager.io/v1), in the shape `cdk8s import`
// generates, limited to the fields this library sets. Hand-written so the build needs no CRD
// download.
import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';
import { Construct } from 'constructs';

/** The issuer a Certificate is requested from. */
export interface CertificateIssuerRef {
  /** Name of the Issuer or ClusterIssuer. */
  readonly name: string;
  /**
   * `Issuer` (same namespace) or `ClusterIssuer`.
   * @default 'Issuer'
   */
  readonly kind?: string;
  /**
   * API group of the issuer.
   * @default 'cert-manager.io'
   */
  readonly group?: string;
}

/** The private key of a Certificate. */
export interface CertificatePrivateKey {
  /**
   * `RSA`, `ECDSA` or `Ed25519`.
   * @default 'RSA'
   */
  readonly algorithm?: string;
  /**
   * Key size (RSA bits, ECDSA curve size).
   * @default - cert-manager's default for the algorithm
   */
  readonly size?: number;
  /**
   * `Always` generates a new key at each renewal.
   * @default 'Never' (cert-manager < 1.18), 'Always' (1.18+)
   */
  readonly rotationPolicy?: string;
}

/** Spec of a Certificate. */
export interface CertificateSpec {
  /** The Secret cert-manager writes `ca.crt`, `tls.crt` and `tls.key` into. */
  readonly secretName: string;
  /** The issuer. */
  readonly issuerRef: CertificateIssuerRef;
  /**
   * DNS names of the certificate (subject alternative names).
   * @default - none
   */
  readonly dnsNames?: string[];
  /**
   * Validity, e.g. "2160h".
   * @default '2160h' (90 days)
   */
  readonly duration?: string;
  /**
   * How long before expiry the certificate is renewed, e.g. "360h".
   * @default - a third of the duration
   */
  readonly renewBefore?: string;
  /**
   * The private key.
   * @default - RSA 2048
   */
  readonly privateKey?: CertificatePrivateKey;
  /**
   * Key usages, e.g. `server auth`, `client auth`.
   * @default - digital signature, key encipherment, server auth
   */
  readonly usages?: string[];
}

/** Props of a {@link KubeCertificate}. */
export interface KubeCertificateProps {
  /** Object metadata. */
  readonly metadata?: ApiObjectMetadata;
  /** The spec. */
  readonly spec: CertificateSpec;
}

/** A cert-manager Certificate. */
export class KubeCertificate extends ApiObject {
  /** apiVersion and kind. */
  public static readonly GVK: GroupVersionKind = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' };

  constructor(scope: Construct, id: string, props: KubeCertificateProps) {
    super(scope, id, { ...KubeCertificate.GVK, ...props });
  }
}
