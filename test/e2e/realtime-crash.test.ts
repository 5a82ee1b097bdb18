/**
 * A crashed server must not leave its users online forever: a `biilive serve` process holding a
 * user's connection is killed with SIGKILL (no shutdown code runs); the next server on the same
 * data dir finds the dead replica's expired presence lease and marks the user offline.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../support/server.ts';
import { RawClient } from '../support/realtime-client.ts';

const BIN = fileURLToPath(new URL('../../bin/biilive.js', import.meta.url));

function serve(dataDir: string): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--auto-confirm', '--log-level', 'warn'], {
    // A short lease, so the test need not wait the default 90 s for it to expire.
    env: { ...process.env, BIILIVE_REALTIME_PRESENCE_TTL_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (/API key:\s+\S+/.test(out)) {
        clearTimeout(timer);
        resolve({ child, out });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

async function cognito(endpoint: string, action: string, body: object) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('presence after a crash', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-crash-'));
  let next: TestServer | undefined;
  let child: ChildProcess | undefined;
  after(async () => {
    child?.kill('SIGKILL');
    await next?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('users held by a killed server go offline, with lastSeen, once its lease expires', async () => {
    const first = await serve(dataDir);
    child = first.child;
    const field = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(first.out)![1];
    const [graphqlUrl, realtimeUrl, cognitoUrl, clientId, apiKey] = ['GraphQL', 'Realtime', 'Identity endpoint', 'Client id', 'API key'].map(field);
    const up = await cognito(cognitoUrl, 'SignUp', { ClientId: clientId, Username: 'ana', Password: 'Corr3ct!horse', UserAttributes: [{ Name: 'email', Value: 'ana@example.com' }] });
    const auth = await cognito(cognitoUrl, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ana', PASSWORD: 'Corr3ct!horse' } });
    const token = (auth.AuthenticationResult as { AccessToken: string }).AccessToken;
    const presence = async (url: string) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ query: 'query($id: ID!) { getUser(userId: $id) { isOnline lastSeen } }', variables: { id: up.UserSub } }),
      });
      return ((await res.json()) as { data: { getUser: { isOnline: boolean; lastSeen: string | null } } }).data.getUser;
    };
    const until = async (url: string, online: boolean) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const p = await presence(url);
        if (p.isOnline === online) return p;
        assert.ok(Date.now() < deadline, `isOnline never became ${online}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const c = await RawClient.connect(realtimeUrl, { header: { host: new URL(graphqlUrl).host, Authorization: token } });
    assert.equal((await c.init()).type, 'connection_ack');
    await until(graphqlUrl, true);

    first.child.kill('SIGKILL');
    await c.closed;
    next = await startTestServer({ dataDir, realtime: { presenceTtlMs: 300 } });
    const after = await until(next.app.endpoints.graphqlUrl, false);
    assert.ok(after.lastSeen && Date.parse(after.lastSeen) > Date.now() - 60_000);
  });
});
