import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../../api/context.ts';

/**
 * One set of credentials a real-time connection relies on: the handshake's, or a `start`'s own
 * `extensions.authorization`. Kept with the headers, so it can be checked again (revocation), and
 * with the token's expiry, after which whatever depends on it ends.
 */
export class Credential {
  /** The user's sub for a user-pool token; undefined for the API key. */
  readonly sub: string | undefined;
  /** When the token expires (ms since the epoch); undefined for the API key. */
  readonly expiresAt: number | undefined;
  /** Set once it expired or was found revoked: nothing may start on it any more. */
  lapsed = false;

  constructor(
    readonly headers: IncomingHttpHeaders,
    readonly caller: Caller,
  ) {
    if (caller.mode === 'AMAZON_COGNITO_USER_POOLS') {
      this.sub = caller.principal.sub;
      const exp = caller.principal.claims.exp;
      this.expiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
    }
  }
}

/** Error messages of the frames that end what a lapsed credential held. */
export const LAPSE = {
  expired: 'Token expired: the subscription ended; reconnect with a fresh token.',
  revoked: 'Token has been revoked: the subscription ended.',
} as const;
