import { createHmac, randomUUID } from 'node:crypto';
import type { Clock } from '../../ports/clock.ts';
import { AppError } from '../errors.ts';
import type { Principal, TokenVerifier } from '../identity/contracts.ts';
import { signRs256 } from '../identity/jws.ts';
import { issueCredentials, resolveCredentials, type IssuedCredentials, type ResolvedCredentials } from './credentials.ts';
import type { IdentityPoolSecrets } from './secrets.ts';

/**
 * The Cognito identity pool (GetId, GetCredentialsForIdentity, GetOpenIdToken) in front of the
 * user pool: an ID token of the user pool, given in `Logins` under the pool's provider name (the
 * token's `iss` without its scheme, as Amplify forms it, or `cognito-idp.<region>.amazonaws.com/<pool
 * id>`), gets a stable identity id and short-lived credentials bound to the user's `sub`. What the
 * credentials may do is the media endpoint's business (src/domain/media/s3-access.ts): the same
 * scoping the CDK identity pool gives its authenticated role with the `sub` principal tag.
 * Unauthenticated (guest) identities exist only when `allowUnauthenticated` is set.
 *
 * Identity ids are derived (HMAC of the sub), not stored: every replica computes the same one.
 * Failures are AppErrors named as Cognito Identity's exceptions.
 */
export const IdentityPoolErrorNames = [
  'NotAuthorizedException',
  'ResourceNotFoundException',
  'InvalidParameterException',
  'TooManyRequestsException',
  'InternalErrorException',
] as const;

const err = (name: (typeof IdentityPoolErrorNames)[number], message: string) => new AppError(name, message);

export interface IdentityPoolOptions {
  poolId: string;
  region: string;
  /** The user pool's token verifier (embedded or external). */
  verifier: TokenVerifier;
  allowUnauthenticated: boolean;
  credentialsSeconds: number;
  /** `iss` of GetOpenIdToken tokens; their JWKS is at `<issuer>/.well-known/jwks.json`. */
  openIdIssuer: string;
  secrets: IdentityPoolSecrets;
  clock: Clock;
}

export interface IdentityCredentials {
  identityId: string;
  credentials: IssuedCredentials;
}

const IDENTITY_ID = /^[\w-]+:[0-9a-f-]+$/;
const OPEN_ID_TOKEN_SECONDS = 600;

export class IdentityPool {
  constructor(private readonly o: IdentityPoolOptions) {}

  get poolId(): string {
    return this.o.poolId;
  }

  async getId(input: { identityPoolId: string; logins?: Record<string, string> }): Promise<{ identityId: string }> {
    this.requirePool(input.identityPoolId);
    const user = await this.login(input.logins);
    if (user) return { identityId: this.identityOf(user.sub) };
    this.requireGuests();
    return { identityId: `${this.o.region}:${randomUUID()}` };
  }

  async getCredentialsForIdentity(input: { identityId: string; logins?: Record<string, string> }): Promise<IdentityCredentials> {
    const { identityId, sub } = await this.resolveIdentity(input.identityId, input.logins);
    const expiresAt = this.o.clock.now() + this.o.credentialsSeconds * 1000;
    return { identityId, credentials: issueCredentials(this.o.secrets.credentialsKey, { identityId, ...(sub ? { sub } : {}) }, expiresAt) };
  }

  /** An OpenID Connect token for the identity (Cognito's GetOpenIdToken): iss this pool, aud the pool id, sub the identity id. */
  async getOpenIdToken(input: { identityId: string; logins?: Record<string, string> }): Promise<{ identityId: string; token: string }> {
    const { identityId, sub, provider } = await this.resolveIdentity(input.identityId, input.logins);
    const iat = Math.floor(this.o.clock.now() / 1000);
    const token = signRs256(
      this.o.secrets.openId.kid,
      {
        iss: this.o.openIdIssuer,
        aud: this.o.poolId,
        sub: identityId,
        amr: sub ? ['authenticated', provider!] : ['unauthenticated'],
        iat,
        exp: iat + OPEN_ID_TOKEN_SECONDS,
      },
      this.o.secrets.openId.privateKey,
    );
    return { identityId, token };
  }

  /** The secret and holder of credentials this pool issued (the media endpoint's SigV4 lookup). */
  resolveCredentials(accessKeyId: string, sessionToken: string | undefined): ResolvedCredentials {
    return resolveCredentials(this.o.secrets.credentialsKey, accessKeyId, sessionToken, this.o.clock.now());
  }

  /** `jwks.json` / `openid-configuration` of the OpenID tokens. */
  wellKnown(doc: string): object | undefined {
    if (doc === 'jwks.json') {
      const { e, n } = this.o.secrets.openId.publicKey.export({ format: 'jwk' });
      return { keys: [{ kid: this.o.secrets.openId.kid, alg: 'RS256', kty: 'RSA', use: 'sig', e, n }] };
    }
    if (doc === 'openid-configuration') {
      return {
        issuer: this.o.openIdIssuer,
        jwks_uri: `${this.o.openIdIssuer}/.well-known/jwks.json`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      };
    }
    return undefined;
  }

  /** Stable per user, unguessable without the pool's key: `<region>:<uuid-shaped HMAC of the sub>`. */
  identityOf(sub: string): string {
    const h = createHmac('sha256', this.o.secrets.credentialsKey).update(`identity|${sub}`).digest('hex');
    return `${this.o.region}:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  private async resolveIdentity(identityId: string, logins?: Record<string, string>) {
    if (!IDENTITY_ID.test(identityId) || !identityId.startsWith(`${this.o.region}:`)) {
      throw err('ResourceNotFoundException', `Identity '${identityId.slice(0, 64)}' not found.`);
    }
    const user = await this.login(logins);
    if (user) {
      if (this.identityOf(user.sub) !== identityId) {
        throw err('NotAuthorizedException', 'Logins don\'t match. Please include at least one valid login for this identity or identity pool.');
      }
      return { identityId, sub: user.sub, provider: user.provider };
    }
    this.requireGuests();
    return { identityId };
  }

  private requirePool(id: string): void {
    if (id !== this.o.poolId) throw err('ResourceNotFoundException', `IdentityPool '${id.slice(0, 64)}' not found.`);
  }

  private requireGuests(): void {
    if (!this.o.allowUnauthenticated) throw err('NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
  }

  /** The user behind `Logins` (one user-pool ID token), or undefined when none is given. */
  private async login(logins?: Record<string, string>): Promise<(Principal & { provider: string }) | undefined> {
    const entries = Object.entries(logins ?? {});
    if (entries.length === 0) return undefined;
    if (entries.length > 1) throw err('InvalidParameterException', 'Only one login provider is supported by this identity pool.');
    const [provider, token] = entries[0];
    let principal: Principal;
    try {
      principal = await this.o.verifier.verify(token);
    } catch {
      throw err('NotAuthorizedException', 'Invalid login token. Token is not valid.');
    }
    if (principal.tokenUse !== 'id') throw err('NotAuthorizedException', 'Invalid login token. Not a valid OpenId Connect identity token.');
    const iss = String(principal.claims.iss ?? '');
    const poolId = iss.split('/').pop() ?? '';
    const names = [iss.replace(/^\w+:\/\//, ''), `cognito-idp.${poolId.split('_')[0]}.amazonaws.com/${poolId}`];
    if (!names.includes(provider)) throw err('NotAuthorizedException', 'Invalid login token. Issuer doesn\'t match providerName');
    return { ...principal, provider };
  }
}
