import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { writePrivateFile } from './private-files.ts';

/**
 * TLS for `serve --tls`: Amplify JS v6 always dials `wss://` for subscriptions, so the embedded
 * server must speak TLS to serve it. With `tlsCert`/`tlsKey` those files are used; otherwise a
 * self-signed certificate is generated on first use and kept in `<dataDir>/tls/` (the key 0600),
 * for localhost, the loopback addresses, this machine's name and the configured host / public URL.
 * Clients trust it by its path (NODE_EXTRA_CA_CERTS, curl --cacert) or its SHA-256 fingerprint.
 */
export interface TlsMaterial {
  cert: string;
  key: string;
  certPath: string;
  /** SHA-256 fingerprint, colon-separated hex (as browsers and `openssl x509 -fingerprint` print it). */
  fingerprint256: string;
  selfSigned: boolean;
  /** True when this call generated the self-signed certificate. */
  created: boolean;
  validTo: string;
}

type TlsConfig = Pick<Config, 'tls' | 'tlsCert' | 'tlsKey' | 'dataDir' | 'host' | 'publicUrl'>;

const DIR = 'tls';
// Long enough not to bother anyone, within the 825 days some platforms cap server certificates at.
const VALID_DAYS = 825;
const RENEW_BEFORE_MS = 7 * 86_400_000;

export const tlsEnabled = (config: Pick<Config, 'tls' | 'tlsCert'>) => config.tls || config.tlsCert !== undefined;

/** Where the certificate clients must trust is (or will be), or undefined without TLS. */
export function tlsCertPath(config: TlsConfig): string | undefined {
  if (!tlsEnabled(config)) return undefined;
  return config.tlsCert ? resolve(config.tlsCert) : join(resolve(config.dataDir), DIR, 'cert.pem');
}

/** The certificate and key to serve, generating the self-signed pair if needed; undefined without TLS. */
export async function loadTls(config: TlsConfig): Promise<TlsMaterial | undefined> {
  if (!tlsEnabled(config)) return undefined;
  if (config.tlsCert && config.tlsKey) {
    const cert = readFileSync(config.tlsCert, 'utf8');
    const key = readFileSync(config.tlsKey, 'utf8');
    return describe(cert, key, resolve(config.tlsCert), false, false);
  }
  const dir = join(resolve(config.dataDir), DIR);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    const names = subjectNames(config);
    const x509 = new X509Certificate(cert);
    const fresh = Date.parse(x509.validTo) - Date.now() > RENEW_BEFORE_MS;
    const covers = names.every((n) => (isIP(n) ? x509.checkIP(n) : x509.checkHost(n)) !== undefined);
    if (fresh && covers) return describe(cert, readFileSync(keyPath, 'utf8'), certPath, true, false);
  }
  // Loaded only when a certificate must be made: it is a large module, and start-up time matters.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'BiiLive embedded server' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + VALID_DAYS * 86_400_000),
    extensions: [
      // Self-signed and its own trust anchor: CA:TRUE lets OpenSSL accept it from a CA bundle.
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: subjectNames(config).map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writePrivateFile(keyPath, pems.private);
  writePrivateFile(certPath, pems.cert);
  return describe(pems.cert, pems.private, certPath, true, true);
}

function subjectNames(config: TlsConfig): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname()]);
  const host = config.host.replace(/^\[|\]$/g, '');
  if (host !== '0.0.0.0' && host !== '::') names.add(host);
  if (config.publicUrl) names.add(new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''));
  return [...names];
}

function describe(cert: string, key: string, certPath: string, selfSigned: boolean, created: boolean): TlsMaterial {
  const x509 = new X509Certificate(cert);
  return { cert, key, certPath, fingerprint256: x509.fingerprint256, selfSigned, created, validTo: x509.validTo };
}
