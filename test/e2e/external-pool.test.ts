/**
 * identity.mode = external: a user pool this server did not issue (a loopback HTTPS JWKS server
 * plays Cognito's public side) is the source of tokens. Its ID and access tokens are accepted
 * (aws-jwt-verify, JWKS fetched once and cached), a profile appears on a user's first request, and
 * tokens of another issuer, audience or key, or expired ones, are refused; no user-pool endpoint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { amplifyConfig } from '../../src/runtime/endpoints.ts';
import { graphqlCaller } from '../support/graphql-client.ts';
import { startJwksPool, type JwksPool } from '../support/jwks-server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const ME = 'query { me { userId nickname nombreCompleto } }';

describe('external user pool (identity.mode = external)', () => {
  let pool: JwksPool;
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const { gql } = graphqlCaller(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
  const me = async (token: string) => {
    tokens.t = token;
    return gql(ME, null, 't');
  };

  before(async () => {
    pool = await startJwksPool();
    s = await startTestServer({ identity: { mode: 'external', issuer: pool.issuer, clientIds: [pool.clientId], caFile: pool.caFile } });
  });
  after(async () => {
    await s?.stop();
    await pool?.close();
  });

  test("the pool's ID token is accepted and the first request creates the profile from its claims", async () => {
    const sub = randomUUID();
    const idToken = await pool.token({ use: 'id', sub, username: 'marta', claims: { email: 'marta@example.com', nickname: 'marta', name: 'Marta M.' } });
    const first = await me(idToken);
    assert.equal(first.status, 200);
    assert.deepEqual(first.json, { data: { me: { userId: sub, nickname: 'marta', nombreCompleto: 'Marta M.' } } });
    // An access token of the same user: same profile, unchanged.
    const second = await me(await pool.token({ use: 'access', sub, username: 'marta' }));
    assert.deepEqual(second.json, { data: { me: { userId: sub, nickname: 'marta', nombreCompleto: 'Marta M.' } } });
    // A user seen only through an access token gets a profile named after the username.
    const other = randomUUID();
    assert.deepEqual((await me(await pool.token({ use: 'access', sub: other, username: 'nico' }))).json, {
      data: { me: { userId: other, nickname: 'nico', nombreCompleto: null } },
    });
    assert.equal(pool.jwksFetches, 1, 'the JWKS is fetched once and cached');
  });

  test('tokens of another issuer, audience or key, and expired ones, are refused', async () => {
    const sub = randomUUID();
    const refused = async (token: string) => {
      const r = await me(token);
      assert.equal(r.status, 401, JSON.stringify(r.json));
    };
    await refused(await pool.token({ use: 'id', sub, username: 'x', claims: { iss: `${pool.issuer}-other` } }));
    await refused(await pool.token({ use: 'id', sub, username: 'x', claims: { aud: 'anotherclient' } }));
    await refused(await pool.token({ use: 'access', sub, username: 'x', claims: { client_id: 'anotherclient' } }));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(await pool.token({ use: 'id', sub, username: 'x', key: privateKey })); // same kid, wrong key
    await refused(await pool.token({ use: 'id', sub, username: 'x', key: privateKey, kid: 'unknown-kid' }));
    await refused(await pool.token({ use: 'id', sub, username: 'x', expiresIn: -10 }));
    await refused(await pool.token({ use: 'id', sub, username: 'x', claims: { token_use: 'refresh' } }));
    const profile = await gql('query($u: ID!) { getUser(userId: $u) { userId } }', { u: sub }, 'key');
    assert.deepEqual(profile.json, { data: { getUser: null } }, 'no profile for refused tokens');
  });

  test("the identity pool takes the external pool's ID tokens (Logins keyed by its issuer)", async () => {
    const sub = randomUUID();
    const idToken = await pool.token({ use: 'id', sub, username: 'olga', claims: { email: 'olga@example.com' } });
    const call = async (action: string, body: object) => {
      const res = await fetch(`${s.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${action}` },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const Logins = { [pool.issuer.replace('https://', '')]: idToken };
    const { IdentityId } = await call('GetId', { IdentityPoolId: s.app.installation.identityPoolId, Logins });
    assert.match(String(IdentityId), /^eu-west-3:/);
    const out = await call('GetCredentialsForIdentity', { IdentityId, Logins });
    assert.match(String((out.Credentials as { AccessKeyId: string }).AccessKeyId), /^ASIA/);
    const foreign = await call('GetId', { IdentityPoolId: s.app.installation.identityPoolId, Logins: { [pool.issuer.replace('https://', '')]: await pool.token({ use: 'id', sub, username: 'olga', claims: { aud: 'other' } }) } });
    assert.equal(foreign.__type, 'NotAuthorizedException');
  });

  test('no user-pool endpoint is served, and the Amplify config points at the external pool', async () => {
    const res = await fetch(`${s.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: '{}',
    });
    assert.equal(res.status, 404);
    assert.equal((await fetch(`${s.url}/${pool.poolId}/.well-known/jwks.json`)).status, 404);
    const config = amplifyConfig(s.app.endpoints);
    assert.equal(config.Auth.Cognito.userPoolId, pool.poolId);
    assert.equal(config.Auth.Cognito.userPoolClientId, pool.clientId);
    assert.equal('userPoolEndpoint' in config.Auth.Cognito, false);
  });
});
