import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GlobalSignOutCommand } from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { signRs256 } from '../../src/domain/identity/jws.ts';
import { loadIdentityKeys } from '../../src/domain/identity/signing-keys.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

// Real server, real Cognito-compatible tokens from the AWS SDK, GraphQL over HTTP.
const PASSWORD = 'Corr3ct!horse';

describe('profiles over GraphQL with real user-pool tokens', () => {
  let s: TestServer;
  let sub: string;
  let tokens: Awaited<ReturnType<typeof signIn>>;

  const gql = async (query: string, variables: Record<string, unknown> | null, headers: Record<string, string>) => {
    const res = await fetch(s.app.endpoints.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), json: JSON.parse(text) };
  };
  const key = () => ({ 'x-api-key': s.app.installation.apiKey });

  before(async () => {
    s = await startTestServer();
    sub = await signUpAndConfirm(s, 'carla.ruiz@example.com', PASSWORD, {
      email: 'carla.ruiz@example.com',
      name: 'Carla Ruiz',
      nickname: 'Carla',
    });
    tokens = await signIn(s, 'carla.ruiz@example.com', PASSWORD);
  });
  after(async () => {
    await s?.stop();
  });

  test('PostConfirmation created the profile; me answers with the ID token and with the access token', async () => {
    for (const authorization of [tokens.IdToken, tokens.AccessToken, `Bearer ${tokens.AccessToken}`]) {
      const r = await gql('{ me { userId nickname nombreCompleto seguidores siguiendo puntos nivel isOnline } }', null, { authorization });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, {
        data: {
          me: { userId: sub, nickname: 'Carla', nombreCompleto: 'Carla Ruiz', seguidores: 0, siguiendo: 0, puntos: 0, nivel: 1, isOnline: false },
        },
      });
    }
  });

  test('updateProfile with the access token; getUser / getUserByNickname with the API key see it', async () => {
    const upd = await gql(
      'mutation U($input: UpdateProfileInput!) { updateProfile(input: $input) { userId nickname ciudad pais } }',
      { input: { nickname: 'carla_r', ciudad: 'Lima', pais: 'Perú' } },
      { authorization: tokens.AccessToken },
    );
    assert.deepEqual(upd.json, { data: { updateProfile: { userId: sub, nickname: 'carla_r', ciudad: 'Lima', pais: 'Perú' } } });
    const byId = await gql('query G($id: ID!) { getUser(userId: $id) { nickname ciudad } }', { id: sub }, key());
    assert.deepEqual(byId.json, { data: { getUser: { nickname: 'carla_r', ciudad: 'Lima' } } });
    const byNick = await gql('{ getUserByNickname(nickname: "CARLA_R") { userId } }', null, key());
    assert.deepEqual(byNick.json, { data: { getUserByNickname: { userId: sub } } });
    const search = await gql('{ searchUsers(prefix: "carla") { items { userId } nextToken } }', null, { authorization: tokens.IdToken });
    assert.deepEqual(search.json, { data: { searchUsers: { items: [{ userId: sub }], nextToken: null } } });
    const meByKey = await gql('{ me { userId } }', null, key());
    assert.equal(meByKey.json.errors[0].errorType, 'Unauthorized');
  });

  test('forged and wrong-audience tokens are refused with 401 UnauthorizedException', async () => {
    const [h, p, sig] = tokens.AccessToken.split('.');
    const flipped = `${h}.${p}.${sig.slice(0, -4)}${sig.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    // Validly signed with the pool's own ID key, but for another app client.
    const keys = await loadIdentityKeys({ tables: s.app.tables, systemTable: s.app.config.tables.system, clock: systemClock });
    assert.equal(decodeProtectedHeader(tokens.IdToken).kid, keys.id.kid);
    const wrongAud = signRs256(keys.id.kid, { ...decodeJwt(tokens.IdToken), aud: 'someotherclientid0000000000' }, keys.id.privateKey);
    const sameAud = signRs256(keys.id.kid, { ...decodeJwt(tokens.IdToken) }, keys.id.privateKey);
    assert.equal((await gql('{ me { userId } }', null, { authorization: sameAud })).status, 200, 'the re-signing itself is sound');
    for (const authorization of [flipped, wrongAud, 'garbage', `${h}.${p}.`]) {
      const r = await gql('{ me { userId } }', null, { authorization });
      assert.equal(r.status, 401, authorization.slice(0, 20));
      assert.equal(r.errorType, 'UnauthorizedException');
      assert.equal(r.json.errors[0].errorType, 'UnauthorizedException');
    }
  });

  test('after GlobalSignOut the session\'s access and ID tokens are refused', async () => {
    const fresh = await signIn(s, 'carla.ruiz@example.com', PASSWORD);
    await s.cognito.send(new GlobalSignOutCommand({ AccessToken: fresh.AccessToken }));
    const r = await gql('{ me { userId } }', null, { authorization: fresh.AccessToken });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] });
    assert.equal((await gql('{ me { userId } }', null, { authorization: fresh.IdToken })).status, 401);
  });
});
