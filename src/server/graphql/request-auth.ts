import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../../api/context.ts';
import type { TokenVerifier } from '../../domain/identity/contracts.ts';
import { AppError } from '../../domain/errors.ts';

/**
 * Request-level authentication, as AppSync picks the mode from the headers (appsync.md §1.2):
 * `x-api-key` present -> API_KEY (must be this installation's key); else `Authorization` with a
 * JWT, raw or `Bearer`, ID or access token -> user pools. Anything else is refused with one of
 * AppSync's UnauthorizedException messages.
 */
export type AuthOutcome =
  | { ok: true; caller: Caller }
  /** `unavailable`: the credentials could not be checked (the store did not answer), not refused. */
  | { ok: false; message: string; unavailable?: boolean };

export const NOT_AUTHORIZED = 'You are not authorized to make this call.';
export const NO_AUTH_HEADER = 'Valid authorization header not provided.';
export const UNPARSABLE_JWT = 'Unable to parse JWT token.';
export const UNAVAILABLE = 'The credentials could not be checked right now; retry shortly.';

const API_KEY_CALLER: Caller = Object.freeze({ mode: 'API_KEY' });
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function createRequestAuth(apiKey: string, verifier: TokenVerifier) {
  const expected = Buffer.from(apiKey);
  const keyMatches = (given: string) => {
    const buf = Buffer.from(given);
    return buf.length === expected.length && timingSafeEqual(buf, expected);
  };

  return async function authenticate(headers: IncomingHttpHeaders): Promise<AuthOutcome> {
    const key = single(headers['x-api-key']);
    if (key !== undefined) return keyMatches(key) ? { ok: true, caller: API_KEY_CALLER } : { ok: false, message: NOT_AUTHORIZED };
    let token = single(headers.authorization)?.trim();
    if (!token) return { ok: false, message: NO_AUTH_HEADER };
    if (/^bearer\s/i.test(token)) token = token.slice(6).trim();
    if (!JWT_SHAPE.test(token)) return { ok: false, message: UNPARSABLE_JWT };
    try {
      const principal = await verifier.verify(token);
      return { ok: true, caller: { mode: 'AMAZON_COGNITO_USER_POOLS', principal } };
    } catch (err) {
      // The pool refuses tokens with its own (AppError) errors; anything else is the store failing.
      if (err instanceof AppError) return { ok: false, message: NOT_AUTHORIZED };
      return { ok: false, message: UNAVAILABLE, unavailable: true };
    }
  };
}
