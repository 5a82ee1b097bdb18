import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { signIn, signUpAndConfirm, startTestServer } from '../support/server.ts';

const PASSWORD = 'Restart-Passw0rd!';

async function gql(url: string, query: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: res.status, json: (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

/** A port free right now: the issuer (and so every token) is bound to the server's URL, which must not change across the restart. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

test('a restart keeps users, profiles, signing keys, refresh tokens, pool ids and the API key', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-restart-'));
  try {
    const port = await freePort();
    const first = await startTestServer({ dataDir, port });
    const sub = await signUpAndConfirm(first, 'dora', PASSWORD, { email: 'dora@example.com', nickname: 'dora' });
    const tokens = await signIn(first, 'dora', PASSWORD);
    const upd = await gql(first.app.endpoints.graphqlUrl, 'mutation { updateProfile(input: { ciudad: "Quito", pais: "Ecuador" }) { userId } }', {
      authorization: tokens.AccessToken,
    });
    assert.deepEqual(upd.json, { data: { updateProfile: { userId: sub } } });
    const before = { ...first.app.installation };
    await first.stop();

    const second = await startTestServer({ dataDir, port });
    try {
      assert.deepEqual({ ...second.app.installation }, before);
      // The token issued before the restart still verifies: same keys, same session.
      const me = await gql(second.app.endpoints.graphqlUrl, '{ me { userId nickname ciudad pais } }', { authorization: tokens.AccessToken });
      assert.deepEqual(me.json, { data: { me: { userId: sub, nickname: 'dora', ciudad: 'Quito', pais: 'Ecuador' } } });
      const pub = await gql(second.app.endpoints.graphqlUrl, `{ getUser(userId: "${sub}") { nickname ciudad } }`, { 'x-api-key': before.apiKey });
      assert.deepEqual(pub.json, { data: { getUser: { nickname: 'dora', ciudad: 'Quito' } } });
      // The password and the refresh token still work.
      await signIn(second, 'dora', PASSWORD);
      const refreshed = await second.cognito.send(
        new InitiateAuthCommand({ ClientId: second.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } }),
      );
      assert.ok(refreshed.AuthenticationResult?.AccessToken);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
