import type { Clock } from '../../ports/clock.ts';
import { signRs256, type JwtClaims } from './jws.ts';
import type { Ids } from '../../ports/ids.ts';
import type { Session } from './sessions.ts';
import type { IdentityKeys } from './signing-keys.ts';
import type { UserRecord } from './user-store.ts';

/**
 * Mints Cognito-shaped ID and access tokens (shared/spec/cognito.md §3, §7): RS256, a distinct
 * key (kid) per token kind, `origin_jti` = the session family so revocation can reach them, and
 * `auth_time` = the original sign-in, unchanged by refreshes.
 */
export const ACCESS_SCOPE = 'aws.cognito.signin.user.admin';

export interface IssuedTokens {
  accessToken: string;
  idToken: string;
  /** Access-token lifetime, seconds (Cognito's ExpiresIn). */
  expiresIn: number;
}

export interface TokenIssuerOptions {
  keys: IdentityKeys;
  issuer: string;
  clientId: string;
  clock: Clock;
  ids: Ids;
  accessTokenSeconds: number;
  idTokenSeconds: number;
}

const VERIFIED_FLAGS = new Set(['email_verified', 'phone_number_verified']);

/** ID-token claims from the user's attributes: strings, except the verified flags (booleans). */
function attributeClaims(attributes: Record<string, string>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(attributes)) out[name] = VERIFIED_FLAGS.has(name) ? value === 'true' : value;
  return out;
}

export class TokenIssuer {
  constructor(private readonly o: TokenIssuerOptions) {}

  async issue(user: UserRecord, session: Session): Promise<IssuedTokens> {
    const { keys, issuer, clientId, clock, ids } = this.o;
    const iat = Math.floor(clock.now() / 1000);
    const groups = user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {};
    const common = { sub: user.sub, iss: issuer, origin_jti: session.family, event_id: session.eventId, auth_time: session.authTime, iat };

    const idClaims: JwtClaims = {
      ...attributeClaims(user.attributes),
      ...common,
      ...groups,
      aud: clientId,
      token_use: 'id',
      'cognito:username': user.username,
      exp: iat + this.o.idTokenSeconds,
      jti: ids.uuid(),
    };
    const accessClaims: JwtClaims = {
      ...common,
      ...groups,
      client_id: clientId,
      token_use: 'access',
      scope: ACCESS_SCOPE,
      username: user.username,
      exp: iat + this.o.accessTokenSeconds,
      jti: ids.uuid(),
    };
    const idToken = signRs256(keys.id.kid, idClaims, keys.id.privateKey);
    const accessToken = signRs256(keys.access.kid, accessClaims, keys.access.privateKey);
    return { accessToken, idToken, expiresIn: this.o.accessTokenSeconds };
  }
}
