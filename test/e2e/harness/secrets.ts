/**
 * The Secrets a cluster's pods reference, created the way an operator (or cert-manager) would
 * before applying the manifests:
 *
 * - a Secret object in the manifests is used as it is (`data` base64-decoded, `stringData`), except
 *   that the keys of one a credentials Job of the manifests fills (MySqlCredentials.fromGeneratedSecret:
 *   its env CREDENTIALS_NAME names the Secret) get a password when they have no value, as that Job does;
 * - every other Secret the pod template references (env `secretKeyRef`, `secret` volumes,
 *   `projected` volume `secret` sources) is generated: a password per key, with characters that
 *   SQL and shell quoting must survive;
 * - a TLS Secret (its referenced keys are `ca.crt` / `tls.crt` / `tls.key`, or it is the
 *   `secretName` of a cert-manager Certificate in the manifests) gets a fresh CA and one
 *   certificate signed by it, for the cluster's DNS names (or, for a Certificate, its
 *   `dnsNames`), usable for serving and for client authentication.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Manifest, referencedSecretKeys } from './manifests';

export type Secrets = { [secretName: string]: { [key: string]: string } };

export interface TlsMaterial {
  'ca.crt': string;
  'tls.crt': string;
  'tls.key': string;
  [key: string]: string;
}

export const TLS_KEYS = ['ca.crt', 'tls.crt', 'tls.key'];

export interface TlsOptions {
  /** DNS subjectAltNames (the first is also the CN). */
  readonly dnsNames: string[];
  readonly ipAddresses?: string[];
  /** ECDSA P-256 (default) or RSA 2048. */
  readonly algorithm?: 'ECDSA' | 'RSA';
  /** Extended key usages (default: serverAuth and clientAuth). Empty: none (any purpose). */
  readonly extendedKeyUsages?: string[];
  /** Issue from this CA instead of a fresh one. */
  readonly ca?: { cert: string; key: string };
}

/** The certificate's SANs for a cluster: every Service's names, the headless wildcard, the pods' names. */
export function clusterDnsNames(sts: Manifest, objects: Manifest[], namespace: string, domain = 'cluster.local', extraOrdinals = 10): string[] {
  const names: string[] = [];
  const forms = (name: string) => [`${name}.${namespace}.svc.${domain}`, `${name}.${namespace}.svc`, `${name}.${namespace}`, name];
  const headless = sts.spec.serviceName;
  const services = objects.filter((o) => o.kind === 'Service' && (o.metadata.namespace ?? namespace) === namespace);
  if (headless && !services.some((s) => s.metadata.name === headless)) services.unshift({ apiVersion: 'v1', kind: 'Service', metadata: { name: headless }, spec: { clusterIP: 'None' } });
  for (const svc of services) {
    if (svc.spec?.clusterIP === 'None') names.push(`*.${svc.metadata.name}.${namespace}.svc.${domain}`);
    names.push(...forms(svc.metadata.name));
  }
  if (headless) {
    const start = sts.spec.ordinals?.start ?? 0;
    for (let o = start; o < start + (sts.spec.replicas ?? 1) + extraOrdinals; o++) names.push(...forms(`${sts.metadata.name}-${o}.${headless}`));
  }
  return [...new Set(names)];
}

/** A fresh CA (unless one is given) and a certificate for the names, with the host's openssl. */
export function makeTls(options: TlsOptions): TlsMaterial & { 'ca.key': string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-tls-'));
  try {
    const f = (n: string) => path.join(dir, n);
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const genKey = (out: string) => {
      if (options.algorithm === 'RSA') run(['genrsa', '-traditional', '-out', out, '2048']);
      else run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', out]);
    };
    if (options.ca) {
      fs.writeFileSync(f('ca.crt'), options.ca.cert);
      fs.writeFileSync(f('ca.key'), options.ca.key, { mode: 0o600 });
    } else {
      genKey(f('ca.key'));
      run(['req', '-x509', '-new', '-key', f('ca.key'), '-sha256', '-days', '7', '-subj', `/O=cdk8s-stateful e2e/CN=e2e-ca-${randomBytes(4).toString('hex')}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', f('ca.crt')]);
    }
    genKey(f('tls.key'));
    run(['req', '-new', '-key', f('tls.key'), '-subj', `/CN=${options.dnsNames[0].replace(/^\*\./, 'wildcard.')}`, '-out', f('tls.csr')]);
    const sans = [...options.dnsNames.map((n) => `DNS:${n}`), ...(options.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
    const eku = options.extendedKeyUsages ?? ['serverAuth', 'clientAuth'];
    fs.writeFileSync(f('ext.cnf'), [
      'basicConstraints=critical,CA:FALSE',
      `keyUsage=critical,digitalSignature${options.algorithm === 'RSA' ? ',keyEncipherment' : ''}`,
      ...(eku.length ? [`extendedKeyUsage=${eku.join(',')}`] : []),
      `subjectAltName=${sans.join(',')}`,
    ].join('\n') + '\n');
    run(['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '7', '-sha256', '-extfile', f('ext.cnf'), '-out', f('tls.crt')]);
    const read = (n: string) => fs.readFileSync(f(n), 'utf8');
    return { 'ca.crt': read('ca.crt'), 'tls.crt': read('tls.crt'), 'tls.key': read('tls.key'), 'ca.key': read('ca.key') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A password with characters SQL strings and shell quoting must survive. */
export function generatePassword(key: string): string {
  return `${randomBytes(9).toString('base64')}'"\\${key.length}`;
}

function decodeSecret(obj: Manifest): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const [k, v] of Object.entries<string>(obj.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries<string>(obj.stringData ?? {})) out[k] = v;
  return out;
}

const USAGE_EKU: { [usage: string]: string } = { 'server auth': 'serverAuth', 'client auth': 'clientAuth' };

/** Whether a Job of the manifests fills the Secret `name` (the credentials Job: its env CREDENTIALS_NAME). */
function filledByJob(objects: Manifest[], name: string, inNamespace: (o: Manifest) => boolean): boolean {
  return objects.some((o) => o.kind === 'Job' && inNamespace(o) && (o.spec?.template?.spec?.containers ?? [])
    .some((c: { env?: Array<{ name: string; value?: string }> }) => (c.env ?? []).some((e) => e.name === 'CREDENTIALS_NAME' && e.value === name)));
}

/**
 * Every Secret the StatefulSet's pods reference: from the manifests when they hold it, generated
 * otherwise (TLS ones as a CA and a certificate; see the file comment).
 */
export function generateSecrets(sts: Manifest, objects: Manifest[] = [], namespace = sts.metadata.namespace ?? 'default'): Secrets {
  const out: Secrets = {};
  const inNamespace = (o: Manifest) => (o.metadata.namespace ?? namespace) === namespace;
  const certificates = objects.filter((o) => o.kind === 'Certificate' && o.apiVersion?.startsWith('cert-manager.io/') && inNamespace(o));
  const issuerCas = new Map<string, { cert: string; key: string }>();
  for (const [name, keys] of referencedSecretKeys(sts)) {
    const given = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name && inNamespace(o));
    if (given) {
      out[name] = decodeSecret(given);
      if (filledByJob(objects, name, inNamespace)) for (const key of keys) if (!out[name][key]) out[name][key] = generatePassword(key);
      continue;
    }
    const certificate = certificates.find((c) => c.spec?.secretName === name);
    if (certificate) {
      const issuer = `${certificate.spec.issuerRef?.kind ?? 'Issuer'}/${certificate.spec.issuerRef?.name ?? ''}`;
      if (!issuerCas.has(issuer)) {
        const ca = makeTls({ dnsNames: ['issuer.invalid'] });
        issuerCas.set(issuer, { cert: ca['ca.crt'], key: ca['ca.key'] });
      }
      const usages: string[] = certificate.spec.usages ?? [];
      const tls = makeTls({
        dnsNames: [...(certificate.spec.commonName ? [certificate.spec.commonName] : []), ...(certificate.spec.dnsNames ?? [])],
        ipAddresses: certificate.spec.ipAddresses,
        algorithm: certificate.spec.privateKey?.algorithm === 'ECDSA' ? 'ECDSA' : 'RSA',
        extendedKeyUsages: usages.map((u) => USAGE_EKU[u]).filter(Boolean),
        ca: issuerCas.get(issuer),
      });
      out[name] = { 'ca.crt': tls['ca.crt'], 'tls.crt': tls['tls.crt'], 'tls.key': tls['tls.key'] };
      continue;
    }
    if ([...keys].some((k) => TLS_KEYS.includes(k))) {
      const tls = makeTls({ dnsNames: clusterDnsNames(sts, objects, namespace) });
      out[name] = { 'ca.crt': tls['ca.crt'], 'tls.crt': tls['tls.crt'], 'tls.key': tls['tls.key'] };
      for (const key of keys) if (!TLS_KEYS.includes(key)) out[name][key] = generatePassword(key);
      continue;
    }
    out[name] = {};
    for (const key of keys) out[name][key] = generatePassword(key);
  }
  return out;
}
