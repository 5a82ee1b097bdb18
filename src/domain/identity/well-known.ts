import type { IdentityKeys } from './signing-keys.ts';

/** The pool's discovery documents, served at `/<poolId>/.well-known/<doc>`. */
export function wellKnownDocument(
  o: { poolId: string; issuer: string; keys: IdentityKeys },
  poolId: string,
  doc: string,
): object | undefined {
  if (poolId !== o.poolId) return undefined;
  if (doc === 'jwks.json') return { keys: [o.keys.id.jwk, o.keys.access.jwk] };
  if (doc === 'openid-configuration') {
    // "The issuer returned by discovery must exactly match the value of iss" (AppSync OIDC mode).
    return {
      issuer: o.issuer,
      jwks_uri: `${o.issuer}/.well-known/jwks.json`,
      response_types_supported: ['code', 'token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      claims_supported: ['sub', 'email', 'email_verified', 'phone_number', 'phone_number_verified', 'name', 'nickname', 'cognito:username', 'cognito:groups'],
    };
  }
  return undefined;
}
