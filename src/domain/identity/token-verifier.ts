import type { Clock } from '../../ports/clock.ts';
import { tokenError } from './errors.ts';
import { verifyRs256, type JwtClaims } from './jws.ts';
import type { IdentityKeys, SigningKey } from './signing-keys.ts';

/**
 * Offline checks of our own JWTs (shared/spec/reliability-security.md §4.2): RS256 only, `kid`
 * selects one of OUR two keys (header-supplied key material is never used), the key must be the
 * one for the claimed token_use (an access token signed with the ID key is refused), iss, exp/nbf
 * at the injected clock (no grace), and the client id in `aud` (ID) or `client_id` (access).
 * Revocation is the caller's next step: it needs the store.
 */
export interface CheckedToken {
  tokenUse: 'id' | 'access';
  sub: string;
  username: string;
  /** The session family (`origin_jti`). */
  family: string;
  groups: string[];
  claims: JwtClaims;
}

const MAX_TOKEN_LENGTH = 16_384;
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export class TokenChecker {
  private readonly byKid: Map<string, SigningKey>;

  constructor(private readonly o: { keys: IdentityKeys; issuer: string; clientId: string; clock: Clock }) {
    this.byKid = new Map([o.keys.id, o.keys.access].map((k) => [k.kid, k]));
  }

  /** Throws NotAuthorizedException ("Invalid ..." / "... has expired") worded for `expected`. */
  async check(token: string, expected?: 'id' | 'access'): Promise<CheckedToken> {
    const invalid = () => tokenError('invalid', expected);
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalid();
    const verified = verifyRs256(token, (kid) => this.byKid.get(kid)?.publicKey);
    if (!verified) throw invalid();
    const key = this.byKid.get(verified.header.kid)!;
    const c = verified.claims;

    const use = key.use;
    if (c.token_use !== use || (expected && use !== expected)) throw invalid();
    if (c.iss !== this.o.issuer) throw invalid();
    const now = Math.floor(this.o.clock.now() / 1000);
    if (!isTime(c.exp) || !isTime(c.iat)) throw invalid();
    if (c.nbf !== undefined && (!isTime(c.nbf) || c.nbf > now)) throw invalid();
    const clientOk = use === 'id' ? c.aud === this.o.clientId : c.client_id === this.o.clientId;
    const username = use === 'id' ? c['cognito:username'] : c.username;
    const groups = c['cognito:groups'] ?? [];
    if (
      !clientOk ||
      !isString(username) ||
      !isString(c.sub) ||
      !isString(c.jti) ||
      !isString(c.origin_jti) ||
      !Array.isArray(groups) ||
      !groups.every((g) => typeof g === 'string')
    ) {
      throw invalid();
    }
    // Expiry last: only a token that is otherwise entirely ours is reported as "expired".
    if (c.exp <= now) throw tokenError('expired', expected);
    return { tokenUse: use, sub: c.sub, username, family: c.origin_jti, groups, claims: c };
  }
}
