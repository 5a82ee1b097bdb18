import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * Compact JWS with exactly one algorithm, RS256 (RSASSA-PKCS1-v1_5 + SHA-256), on node:crypto
 * (the domain takes no JWT library; tests check interop with jose). Deliberately narrow, so the
 * classic JWT pitfalls have nowhere to live: the algorithm is never read from the token to pick a
 * verification method, keys come only from the caller's resolver (by `kid`), and headers with
 * `crit`, `b64` or embedded key material (`jwk`, `jku`, `x5u`, `x5c`) are refused outright.
 */
export interface JwsHeader {
  alg: 'RS256';
  kid: string;
}

export type JwtClaims = Record<string, unknown>;

const b64json = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const B64URL = /^[A-Za-z0-9_-]*$/;
const FORBIDDEN_HEADERS = ['crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'];

export function signRs256(kid: string, claims: JwtClaims, privateKey: KeyObject): string {
  const input = `${b64json({ kid, alg: 'RS256' })}.${b64json(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`;
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The header and claims of a token whose RS256 signature verifies with the key `keyFor` returns
 * for its `kid`; undefined for anything else (malformed, other alg, unknown kid, bad signature).
 * Claims are NOT checked here (see TokenChecker).
 */
export function verifyRs256(
  token: string,
  keyFor: (kid: string) => KeyObject | undefined,
): { header: JwsHeader; claims: JwtClaims } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p)) || parts[2].length === 0) return undefined;
  const [h, p, s] = parts;
  const header = parseSegment(h);
  if (!header || header.alg !== 'RS256' || typeof header.kid !== 'string') return undefined;
  if (FORBIDDEN_HEADERS.some((name) => name in header)) return undefined;
  const key = keyFor(header.kid);
  if (!key) return undefined;
  let valid = false;
  try {
    valid = verify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
  } catch {
    return undefined;
  }
  if (!valid) return undefined;
  const claims = parseSegment(p);
  return claims ? { header: { alg: 'RS256', kid: header.kid }, claims } : undefined;
}
