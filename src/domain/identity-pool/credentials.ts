import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Temporary AWS-shaped credentials for an identity (GetCredentialsForIdentity), stateless so every
 * replica can verify them: the session token carries who they belong to and until when, sealed
 * with an HMAC; the secret key is derived from the token with the same key, so nothing is stored
 * and nothing but this server can produce a matching (access key, secret, token) triple.
 *   SessionToken = base64url(JSON {v, k: access key id, i: identity id, s: user-pool sub?, e: expiry ms}) "." HMAC
 *   SecretKey    = base64(HMAC(key, "secret|" + payload)), 40 characters
 */
export interface CredentialsHolder {
  identityId: string;
  /** The user-pool `sub` of an authenticated identity; absent for unauthenticated (guest) ones. */
  sub?: string;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

export type ResolvedCredentials =
  | { ok: true; secretAccessKey: string; holder: CredentialsHolder }
  | { ok: false; problem: 'unknown' | 'invalid' | 'expired' };

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const mac = (key: Buffer, label: string, payload: string) => createHmac('sha256', key).update(`${label}|${payload}`).digest();
const MAX_TOKEN = 4096;

function accessKeyId(): string {
  let id = 'ASIA';
  for (const b of randomBytes(16)) id += B32[b % 32];
  return id;
}

export function issueCredentials(key: Buffer, holder: CredentialsHolder, expiresAt: number): IssuedCredentials {
  const k = accessKeyId();
  const payload = Buffer.from(JSON.stringify({ v: 1, k, i: holder.identityId, ...(holder.sub ? { s: holder.sub } : {}), e: expiresAt })).toString('base64url');
  return {
    accessKeyId: k,
    secretAccessKey: mac(key, 'secret', payload).toString('base64').slice(0, 40),
    sessionToken: `${payload}.${mac(key, 'token', payload).toString('base64url')}`,
    expiresAt,
  };
}

/** The secret of credentials this server issued, or why they are refused. */
export function resolveCredentials(key: Buffer, accessKey: string, sessionToken: string | undefined, now: number): ResolvedCredentials {
  if (!accessKey.startsWith('ASIA') || sessionToken === undefined) return { ok: false, problem: 'unknown' };
  if (sessionToken.length > MAX_TOKEN) return { ok: false, problem: 'invalid' };
  const [payload, tag, extra] = sessionToken.split('.');
  if (!payload || !tag || extra !== undefined) return { ok: false, problem: 'invalid' };
  const expected = mac(key, 'token', payload);
  const given = Buffer.from(tag, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'invalid' };
  let claims: { v?: unknown; k?: unknown; i?: unknown; s?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return { ok: false, problem: 'invalid' };
  }
  if (claims.v !== 1 || typeof claims.i !== 'string' || typeof claims.e !== 'number') return { ok: false, problem: 'invalid' };
  if (claims.k !== accessKey) return { ok: false, problem: 'unknown' };
  if (claims.e <= now) return { ok: false, problem: 'expired' };
  return {
    ok: true,
    secretAccessKey: mac(key, 'secret', payload).toString('base64').slice(0, 40),
    holder: { identityId: claims.i, ...(typeof claims.s === 'string' ? { sub: claims.s } : {}) },
  };
}
