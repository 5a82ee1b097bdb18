/**
 * Two replicas of the server (two apps, each on its own data dir, sharing one SQLite file through
 * their own connections; different ports) sharing the Redis bus
 * on 127.0.0.1:6379, with a channel prefix of their own: a message sent through replica A reaches a
 * subscriber connected to replica B; presence written by B is seen through A; a sign-out on A ends
 * the socket its token holds on B.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlobalSignOutCommand } from '@aws-sdk/client-cognito-identity-provider';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { RawClient } from '../support/realtime-client.ts';

const PASSWORD = 'Corr3ct!horse';

describe('replicas sharing subscriptions through Redis', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-replicas-'));
  const shared = {
    autoConfirm: true,
    bus: 'redis' as const,
    busPrefix: `biilive-test-${randomBytes(6).toString('hex')}`,
    // Both replicas issue and accept the same tokens whatever their port.
    issuer: 'https://replicas.biilive.test/pool',
  };
  let a: TestServer;
  let b: TestServer;
  const clients: RawClient[] = [];

  // One server per data dir: each replica has its own, and its own connection to the shared file.
  const replica = (name: string) => {
    const own = join(dataDir, name);
    mkdirSync(own, { mode: 0o700 });
    return startTestServer({ ...shared, dataDir: own, sharedTables: openSqliteTables({ path: join(dataDir, 'shared.sqlite'), synchronous: 'NORMAL' }) });
  };

  before(async () => {
    a = await replica('a');
    b = await replica('b');
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await b?.stop();
    await a?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('send on A, receive on B; presence held by B is seen through A, on and off', async () => {
    assert.notEqual(a.app.endpoints.graphqlUrl, b.app.endpoints.graphqlUrl);
    const ana = await signUpAndConfirm(a, 'ana', PASSWORD, { email: 'ana@example.com' });
    await signUpAndConfirm(a, 'ben', PASSWORD, { email: 'ben@example.com' });
    const anaToken = (await signIn(b, 'ana', PASSWORD)).AccessToken;
    const benToken = (await signIn(a, 'ben', PASSWORD)).AccessToken;

    const header = { host: new URL(b.app.endpoints.graphqlUrl).host, Authorization: anaToken };
    const c = await RawClient.connect(b.app.endpoints.realtimeUrl, { header });
    clients.push(c);
    assert.equal((await c.init()).type, 'connection_ack');
    const q = 'subscription($r: ID) { onMessageReceived(receiverId: $r) { senderId receiverId message } }';
    assert.equal((await c.start('m', q, { r: ana })).type, 'start_ack');

    const res = await fetch(a.app.endpoints.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: benToken },
      body: JSON.stringify({
        query: 'mutation($r: ID!) { sendMessage(receiverId: $r, message: "across replicas") { senderId receiverId message } }',
        variables: { r: ana },
      }),
    });
    const sent = (await res.json()) as { data: { sendMessage: unknown } };
    const frame = await c.nextOfType('data', 'm');
    assert.deepEqual(frame.payload, { data: { onMessageReceived: sent.data.sendMessage } });

    // Presence is written just after the connection is acknowledged: poll A (bounded).
    const isOnline = async () => {
      const res = await fetch(a.app.endpoints.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': a.app.installation.apiKey },
        body: JSON.stringify({ query: 'query($id: ID!) { getUser(userId: $id) { isOnline } }', variables: { id: ana } }),
      });
      return ((await res.json()) as { data: { getUser: { isOnline: boolean } } }).data.getUser.isOnline;
    };
    const deadline = Date.now() + 5000;
    while (!(await isOnline())) {
      assert.ok(Date.now() < deadline, 'ana never showed online through replica A');
      await new Promise((r) => setTimeout(r, 20));
    }
    c.close();
    await c.closed;
    while (await isOnline()) {
      assert.ok(Date.now() < deadline + 5000, 'ana never went offline through replica A');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  test('GlobalSignOut on A ends, through the bus, the socket its token holds on B', async () => {
    const cy = await signUpAndConfirm(a, 'cy', PASSWORD, { email: 'cy@example.com' });
    const token = (await signIn(a, 'cy', PASSWORD)).AccessToken;
    const c = await RawClient.connect(b.app.endpoints.realtimeUrl, { header: { host: new URL(b.app.endpoints.graphqlUrl).host, Authorization: token } });
    clients.push(c);
    assert.equal((await c.init()).type, 'connection_ack');
    const q = 'subscription($r: ID) { onMessageReceived(receiverId: $r) { message } }';
    assert.equal((await c.start('m', q, { r: cy })).type, 'start_ack');
    await a.cognito.send(new GlobalSignOutCommand({ AccessToken: token }));
    const ended = await c.next((f) => f.id === 'm');
    assert.deepEqual([ended.type, ended.payload?.errors?.[0]?.errorType], ['error', 'UnauthorizedException']);
    assert.equal((await c.nextOfType('connection_error')).payload!.errors![0].errorCode, 401);
    await c.closed;
  });
});
