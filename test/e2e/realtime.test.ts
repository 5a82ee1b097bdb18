/**
 * Real time on the running server with a hand-written `ws` client: subscriptions to the real
 * schema's fields fed by real mutations over HTTP, filters, refusals, presence and heartbeats.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GlobalSignOutCommand, RevokeTokenCommand } from '@aws-sdk/client-cognito-identity-provider';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { RawClient, type Frame } from '../support/realtime-client.ts';

const PASSWORD = 'Corr3ct!horse';
const ON_MESSAGE = 'subscription($r: ID) { onMessageReceived(receiverId: $r) { messageId senderId receiverId message } }';
const SEND = 'mutation($r: ID!, $m: String!) { sendMessage(receiverId: $r, message: $m) { messageId senderId receiverId message createdAt } }';
const ON_PRESENCE = 'subscription($u: ID) { onPresenceChanged(userId: $u) { userId isOnline lastSeen } }';

/** Polls `read` until `ok` holds (presence is written just after the socket event). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('real time on the running server (raw ws client)', () => {
  let s: TestServer;
  const users: Record<string, { sub: string; token: string }> = {};
  const clients: RawClient[] = [];
  let host: string;

  const gql = async (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
    const res = await fetch(s.app.endpoints.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, unknown>; errors?: Array<Record<string, unknown>> };
  };
  const as = (name: string) => ({ authorization: users[name].token });
  const header = (name: string) => ({ host, Authorization: users[name].token });
  const connect = async (name: string | 'apiKey', via?: 'subprotocol' | 'query' | 'headers') => {
    const h = name === 'apiKey' ? { host, 'x-api-key': s.app.installation.apiKey } : header(name);
    const c = await RawClient.connect(s.app.endpoints.realtimeUrl, { header: h, via });
    clients.push(c);
    assert.equal((await c.init()).type, 'connection_ack');
    return c;
  };
  const presenceOf = (name: string) =>
    gql('query($id: ID!) { getUser(userId: $id) { isOnline lastSeen } }', { id: users[name].sub }, { 'x-api-key': s.app.installation.apiKey }).then(
      (r) => r.data!.getUser as { isOnline: boolean; lastSeen: string | null },
    );

  before(async () => {
    s = await startTestServer({ autoConfirm: true });
    host = new URL(s.app.endpoints.graphqlUrl).host;
    for (const name of ['ana', 'ben', 'cy', 'dee', 'eve']) {
      const sub = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: `${name}_rt` });
      users[name] = { sub, token: (await signIn(s, name, PASSWORD)).AccessToken };
    }
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await s?.stop();
  });

  test('onMessageReceived(receiverId: me) gets my messages, only mine, with the fields I selected', async () => {
    const ana = await connect('ana');
    assert.equal(ana.ws.protocol, 'graphql-ws');
    assert.equal((await ana.start('m1', ON_MESSAGE, { r: users.ana.sub }, header('ana'))).type, 'start_ack');
    const toCy = await gql(SEND, { r: users.cy.sub, m: 'for cy' }, as('ben'));
    assert.equal(toCy.errors, undefined);
    const sent = await gql(SEND, { r: users.ana.sub, m: 'hola ana' }, as('ben'));
    const data = await ana.nextOfType('data', 'm1');
    const { createdAt: _createdAt, ...selected } = (sent.data!.sendMessage as Record<string, unknown>);
    assert.deepEqual(data.payload, { data: { onMessageReceived: selected } });
    assert.equal(ana.frames.filter((f) => f.type === 'data').length, 0);
  });

  test('the handshake header works as a query parameter and as plain upgrade headers', async () => {
    for (const via of ['query', 'headers'] as const) {
      const c = await connect('ben', via);
      assert.equal((await c.start('m', ON_MESSAGE, { r: users.ben.sub })).type, 'start_ack');
      await gql(SEND, { r: users.ben.sub, m: `via ${via}` }, as('cy'));
      const frame = await c.nextOfType('data', 'm');
      assert.equal((frame.payload!.data as { onMessageReceived: { message: string } }).onMessageReceived.message, `via ${via}`);
      c.close();
    }
  });

  test('onNewFollower(followedId) fires on followUser with the follower the mutation selected', async () => {
    const cy = await connect('cy');
    const q = 'subscription($f: ID) { onNewFollower(followedId: $f) { followerId followedId follower { nickname } } }';
    assert.equal((await cy.start('f', q, { f: users.cy.sub })).type, 'start_ack');
    await gql('mutation($f: ID!) { followUser(followedId: $f) { followerId followedId createdAt follower { nickname } } }', { f: users.dee.sub }, as('ben'));
    await gql('mutation($f: ID!) { followUser(followedId: $f) { followerId followedId createdAt follower { nickname } } }', { f: users.cy.sub }, as('ben'));
    const frame = await cy.nextOfType('data', 'f');
    assert.deepEqual(frame.payload, { data: { onNewFollower: { followerId: users.ben.sub, followedId: users.cy.sub, follower: { nickname: 'ben_rt' } } } });
  });

  test('refused with AppSync errors: someone else\'s messages, everyone\'s messages, the API key', async () => {
    const ana = await connect('ana');
    const cases: Array<[Frame, string]> = [
      [await ana.start('other', ON_MESSAGE, { r: users.ben.sub }), 'Unauthorized'],
      [await ana.start('all', ON_MESSAGE, {}), 'Unauthorized'],
      [await ana.start('key', ON_MESSAGE, { r: users.ana.sub }, { host, 'x-api-key': s.app.installation.apiKey }), 'Unauthorized'],
    ];
    for (const [frame, errorType] of cases) {
      assert.equal(frame.type, 'error');
      assert.equal(frame.payload!.errors![0].errorType, errorType);
      assert.equal(frame.payload!.errors![0].message, 'Not Authorized to access onMessageReceived on type Subscription');
    }
    const keyOnly = await connect('apiKey');
    const byKey = await keyOnly.start('k', ON_PRESENCE, { u: users.ana.sub });
    assert.equal(byKey.payload!.errors![0].errorType, 'Unauthorized');
  });

  test('bad connection credentials: connection_error 401, not a refused upgrade', async () => {
    const c = await RawClient.connect(s.app.endpoints.realtimeUrl, { header: { host, Authorization: `${users.ana.token}x` } });
    clients.push(c);
    const frame = await c.init();
    assert.deepEqual(frame, {
      type: 'connection_error',
      payload: { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.', errorCode: 401 }] },
    });
    await c.closed;
  });

  test('presence: online while connected, offline with lastSeen after close; onPresenceChanged tells watchers', async () => {
    const watcher = await connect('eve');
    assert.equal((await watcher.start('p', ON_PRESENCE, { u: users.dee.sub })).type, 'start_ack');
    assert.equal((await presenceOf('dee')).isOnline, false);

    const dee = await connect('dee');
    const online = await watcher.nextOfType('data', 'p');
    assert.deepEqual(online.payload, { data: { onPresenceChanged: { userId: users.dee.sub, isOnline: true, lastSeen: null } } });
    assert.equal((await presenceOf('dee')).isOnline, true);

    const second = await connect('dee');
    second.close();
    await second.closed;
    dee.close();
    await dee.closed;
    const offline = await watcher.nextOfType('data', 'p');
    const change = (offline.payload!.data as { onPresenceChanged: { isOnline: boolean; lastSeen: string } }).onPresenceChanged;
    assert.equal(change.isOnline, false);
    assert.ok(Date.parse(change.lastSeen) > Date.now() - 60_000);
    assert.deepEqual(await eventually(() => presenceOf('dee'), (p) => !p.isOnline, 'dee offline'), { isOnline: false, lastSeen: change.lastSeen });
    // One transition each way: the second connection changed nothing.
    assert.equal(watcher.frames.filter((f) => f.type === 'data').length, 0);
  });

  test('heartbeat keeps an app in the background online and is published to onPresenceChanged', async () => {
    const watcher = await connect('eve');
    assert.equal((await watcher.start('hb', ON_PRESENCE, { u: users.cy.sub })).type, 'start_ack');
    // cy holds a connection from an earlier test; close them all first.
    for (const c of clients) if (c !== watcher) c.ws.terminate();
    await eventually(() => presenceOf('cy'), (p) => !p.isOnline, 'cy offline');
    const beat = await gql('mutation { heartbeat { userId isOnline lastSeen } }', {}, as('cy'));
    assert.equal(beat.errors, undefined);
    assert.equal((beat.data!.heartbeat as { isOnline: boolean }).isOnline, true);
    assert.equal((await presenceOf('cy')).isOnline, true);
    const seen: boolean[] = [];
    for (;;) {
      const f = await watcher.nextOfType('data', 'hb');
      const p = (f.payload!.data as { onPresenceChanged: { userId: string; isOnline: boolean } }).onPresenceChanged;
      assert.equal(p.userId, users.cy.sub);
      seen.push(p.isOnline);
      if (p.isOnline) break;
    }
    assert.equal(seen.at(-1), true);
  });

  test('GlobalSignOut ends the socket opened with the signed-out token; RevokeToken ends a start authorized by its session', async () => {
    const fresh = await signIn(s, 'eve', PASSWORD);
    const c = await RawClient.connect(s.app.endpoints.realtimeUrl, { header: { host, Authorization: fresh.AccessToken } });
    clients.push(c);
    assert.equal((await c.init()).type, 'connection_ack');
    assert.equal((await c.start('inbox', ON_MESSAGE, { r: users.eve.sub })).type, 'start_ack');
    // A second session of eve authorizes one start on an API-key socket.
    const other = await signIn(s, 'eve', PASSWORD);
    const k = await connect('apiKey');
    assert.equal((await k.start('own', ON_MESSAGE, { r: users.eve.sub }, { host, Authorization: other.IdToken })).type, 'start_ack');

    await s.cognito.send(new RevokeTokenCommand({ ClientId: s.clientId, Token: other.RefreshToken }));
    const revoked = await k.next((f) => f.id === 'own');
    assert.deepEqual([revoked.type, revoked.payload?.errors?.[0]?.errorType], ['error', 'UnauthorizedException']);
    assert.equal(k.ws.readyState, k.ws.OPEN, 'the API-key socket stays');

    await s.cognito.send(new GlobalSignOutCommand({ AccessToken: fresh.AccessToken }));
    const ended = await c.next((f) => f.id === 'inbox');
    assert.deepEqual([ended.type, ended.payload?.errors?.[0]?.errorType], ['error', 'UnauthorizedException']);
    assert.equal((await c.nextOfType('connection_error')).payload!.errors![0].errorCode, 401);
    await c.closed;
  });
});
