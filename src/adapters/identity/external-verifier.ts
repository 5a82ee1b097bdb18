/**
 * Tokens of an external Cognito user pool (identity.mode = external), verified with aws-jwt-verify,
 * AWS's library for it: RS256 signature against the pool's JWKS (fetched once, cached, refetched
 * for an unknown `kid`), issuer, expiry, `token_use`, and the app client (`aud` of ID tokens,
 * `client_id` of access tokens). By pool id the issuer is Cognito's own; by issuer URL any
 * Cognito-compatible pool (its JWKS at `<issuer>/.well-known/jwks.json`, over HTTPS, optionally
 * trusting a private CA). Revocation (GlobalSignOut, RevokeToken at that pool) is not visible from
 * here: a token is honoured until it expires.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Principal, TokenVerifier } from '../../domain/identity/contracts.ts';
import { tokenError } from '../../domain/identity/errors.ts';

export interface ExternalPoolOptions {
  userPoolId?: string;
  issuer?: string;
  clientIds: string[];
  /** PEM of a private CA to trust when fetching the JWKS. */
  ca?: string;
}

interface Verifier {
  verify(token: string): Promise<JwtPayload>;
}

export function createExternalVerifier(o: ExternalPoolOptions): TokenVerifier {
  const jwksCache = new SimpleJwksCache({ fetcher: new SimpleFetcher(o.ca ? { defaultRequestOptions: { ca: o.ca } } : undefined) });
  const verifier: Verifier = o.issuer
    ? JwtVerifier.create(
        {
          issuer: o.issuer,
          audience: null, // Cognito access tokens have no aud: the client is checked below, per token_use
          customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: null, clientId: o.clientIds }),
        },
        { jwksCache },
      )
    : CognitoJwtVerifier.create({ userPoolId: o.userPoolId!, tokenUse: null, clientId: o.clientIds }, { jwksCache });

  return {
    async verify(token: string): Promise<Principal> {
      let claims: JwtPayload;
      try {
        claims = await verifier.verify(token);
      } catch (err) {
        throw tokenError(/expired/i.test((err as Error).message) ? 'expired' : 'invalid');
      }
      const tokenUse = claims.token_use === 'id' ? 'id' : 'access';
      const username = tokenUse === 'id' ? claims['cognito:username'] : claims.username;
      const groups = claims['cognito:groups'];
      if (typeof claims.sub !== 'string' || typeof username !== 'string') throw tokenError('invalid');
      return {
        sub: claims.sub,
        username,
        groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
        tokenUse,
        claims: claims as Record<string, unknown>,
      };
    },
  };
}
