/**
 * The AppSync real-time protocol over real sockets: the adapter on a loopback HTTP server with the
 * test schema, a fake token verifier, and hand-written `ws` clients.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execute, parse } from 'graphql';
import { configSchema, type ConfigInput } from '../../src/config/schema.ts';
import { SubscriptionBroker } from '../../src/api/subscriptions/broker.ts';
import { attachPublishers } from '../../src/api/subscriptions/publishing.ts';
import type { Caller } from '../../src/api/context.ts';
import { createRealtimeServer, type RealtimeServer } from '../../src/server/realtime/realtime-server.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { API_KEY, FakeVerifier, fakeToken } from './support-graphql-harness.ts';
import { buildTestSchema } from './realtime-support.ts';
import { RawClient } from '../support/realtime-client.ts';

const HOST = '127.0.0.1';
const MSG = 'subscription($r: ID) { onMessageReceived(receiverId: $r) { id text receiverId } }';
const ANY = 'subscription { onAnyMessage { id text } }';

async function harness(realtime: ConfigInput['realtime'] = {}) {
  const config = configSchema.parse({ realtime });
  const schema = buildTestSchema();
  const broker = new SubscriptionBroker({ schema, origin: 'test', log: silentLogger });
  attachPublishers(schema, (m, p) => broker.publishMutation(m, p));
  const presence: string[] = [];
  const verifier = new FakeVerifier();
  const rt: RealtimeServer = createRealtimeServer({
    config,
    broker,
    apiKey: API_KEY,
    verifier,
    presence: { connected: (u) => presence.push(`+${u}`), disconnected: (u) => presence.push(`-${u}`) },
    log: silentLogger,
  });
  const server: Server = createServer((_req, res) => res.end('http'));
  server.on('upgrade', (req, socket, head) => rt.handleUpgrade(req, socket, head));
  await new Promise<void>((ok) => server.listen(0, HOST, ok));
  const port = (server.address() as AddressInfo).port;
  const url = `ws://${HOST}:${port}/graphql/realtime`;
  const host = `${HOST}:${port}`;
  const send = (caller: Caller, receiverId: string, text: string) =>
    execute({
      schema,
      document: parse('mutation($r: ID, $t: String) { sendMessage(receiverId: $r, text: $t) { id text receiverId } }'),
      variableValues: { r: receiverId, t: text },
      contextValue: { caller },
    });
  const clients: RawClient[] = [];
  const connect = async (...args: Parameters<typeof RawClient.connect>) => {
    const c = await RawClient.connect(...args);
    clients.push(c);
    return c;
  };
  return {
    url,
    host,
    presence,
    verifier,
    rt,
    broker,
    send,
    connect,
    apiKeyHeader: { host, 'x-api-key': API_KEY, 'x-amz-date': '20260101T000000Z' },
    userHeader: (sub: string) => ({ host, Authorization: fakeToken({ sub }) }),
    async stop() {
      for (const c of clients) c.ws.terminate();
      await rt.close();
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

const user = (sub: string): Caller => ({
  mode: 'AMAZON_COGNITO_USER_POOLS',
  principal: { sub, username: sub, groups: [], tokenUse: 'access', claims: {} },
});

describe('credentials after the handshake: expiry and revocation', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  before(async () => (h = await harness()));
  after(() => h.stop());
  const unauthorizedError = (f: { type: string; payload?: { errors?: Array<{ errorType?: string | null }> } }) =>
    f.type === 'error' && f.payload?.errors?.[0]?.errorType === 'UnauthorizedException';

  test('a start re-checks the handshake token: once revoked, that start, the others on it and the connection end', async () => {
    const c = await h.connect(h.url, { header: h.userHeader('rita') });
    await c.init();
    assert.equal((await c.start('s1', MSG, { r: 'rita' })).type, 'start_ack');
    h.verifier.revoked.add('rita');
    const refused = await c.start('s2', MSG, { r: 'rita' });
    assert.ok(unauthorizedError(refused), JSON.stringify(refused));
    assert.ok(unauthorizedError(await c.next((f) => f.id === 's1')), 's1 ends with an UnauthorizedException error frame');
    const closing = await c.nextOfType('connection_error');
    assert.equal(closing.payload!.errors![0].errorCode, 401);
    await c.closed;
    // Nothing reaches the revoked user any more.
    assert.equal(h.rt.stats().connections, 0);
  });

  test('a revocation (any replica) ends exactly the subscriptions resting on that token; the socket and the rest stay', async () => {
    const c = await h.connect(h.url, { header: h.apiKeyHeader });
    await c.init();
    assert.equal((await c.start('mine', MSG, { r: 'sam' }, h.userHeader('sam'))).type, 'start_ack');
    assert.equal((await c.start('public', ANY, undefined)).type, 'start_ack');
    h.verifier.revoked.add('sam');
    h.rt.revoked('sam');
    const ended = await c.next((f) => f.id === 'mine');
    assert.ok(unauthorizedError(ended), JSON.stringify(ended));
    assert.match(String(ended.payload!.errors![0].message), /revoked/);
    await h.send(user('tom'), 'sam', 'after revocation');
    assert.equal(((await c.nextOfType('data', 'public')).payload!.data as { onAnyMessage: { text: string } }).onAnyMessage.text, 'after revocation');
    assert.equal(c.frames.filter((f) => f.id === 'mine').length, 0, 'nothing more for the ended subscription');
    // A revocation the store cannot confirm right now (outage) ends nothing: vic still gets data.
    assert.equal((await c.start('vic', MSG, { r: 'vic' }, h.userHeader('vic'))).type, 'start_ack');
    h.verifier.unavailable = true;
    try {
      h.rt.revoked('vic');
      await h.send(user('tom'), 'vic', 'still here');
      assert.equal(((await c.nextOfType('data', 'vic')).payload!.data as { onMessageReceived: { text: string } }).onMessageReceived.text, 'still here');
    } finally {
      h.verifier.unavailable = false;
    }
    assert.equal(c.frames.filter((f) => f.id === 'vic' && f.type === 'error').length, 0);
    c.close();
  });

  test('a handshake the store cannot check right now: connection_error without 401 (clients retry), not a refusal', async () => {
    h.verifier.unavailable = true;
    try {
      const c = await h.connect(h.url, { header: h.userHeader('wes') });
      const frame = await c.init();
      assert.equal(frame.type, 'connection_error');
      assert.deepEqual(frame.payload!.errors![0], { errorType: 'ServiceUnavailableException', message: 'The credentials could not be checked right now; retry shortly.' });
      await c.closed;
    } finally {
      h.verifier.unavailable = false;
    }
  });

  test('the handshake token expires: its subscriptions end with error frames and the connection closes (401)', async () => {
    const exp = Math.ceil(Date.now() / 1000) + 1;
    const header = { host: h.host, Authorization: fakeToken({ sub: 'ursula', claims: { exp } }) };
    const c = await h.connect(h.url, { header });
    await c.init();
    assert.equal((await c.start('s', MSG, { r: 'ursula' })).type, 'start_ack');
    // Within a generous bound of the expiry (the server checks every second at most).
    const ended = await c.next((f) => f.id === 's', 10_000);
    assert.ok(unauthorizedError(ended), JSON.stringify(ended));
    assert.match(String(ended.payload!.errors![0].message), /expired/);
    assert.equal((await c.nextOfType('connection_error', undefined, 5000)).payload!.errors![0].errorCode, 401);
    await c.closed;
  });
});

describe('AppSync real-time protocol', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  before(async () => (h = await harness()));
  after(() => h.stop());

  for (const via of ['subprotocol', 'query', 'query-spaces', 'headers'] as const) {
    test(`handshake credentials via ${via}: ack with connectionTimeoutMs, then ka; graphql-ws echoed`, async () => {
      // A header whose standard base64 holds '+' (the character a query string may turn into a space).
      let header: Record<string, string> = h.apiKeyHeader;
      for (let pad = ''; !Buffer.from(JSON.stringify(header)).toString('base64').includes('+'); pad += '>') {
        header = { ...h.apiKeyHeader, 'x-amz-user-agent': `aws-amplify/6 ${pad}>>>` };
      }
      const c = await h.connect(h.url, { header, via });
      assert.equal(c.ws.protocol, 'graphql-ws');
      const ack = await c.init();
      assert.deepEqual(ack, { type: 'connection_ack', payload: { connectionTimeoutMs: 300000 } });
      assert.deepEqual(await c.nextOfType('ka'), { type: 'ka' });
      c.close();
    });
  }

  test('bad or missing credentials: the upgrade succeeds, connection_init gets connection_error 401, then close', async () => {
    const headers: Array<Record<string, string>> = [
      { host: h.host, 'x-api-key': 'da2-wrongwrongwrongwrongwrongwr' },
      { host: h.host, Authorization: 'not-a-jwt' },
      { host: h.host },
    ];
    for (const header of headers) {
      const c = await h.connect(h.url, { header });
      const frame = await c.init();
      assert.equal(frame.type, 'connection_error');
      const err = frame.payload!.errors![0];
      assert.equal(err.errorType, 'UnauthorizedException');
      assert.equal(err.errorCode, 401);
      await c.closed;
    }
    const garbled = await h.connect(`${h.url}?header=%%%&payload=e30=`);
    assert.equal((await garbled.init()).payload!.errors![0].errorCode, 401);
  });

  test('start -> start_ack -> data (only the subscriber\'s own messages) -> stop -> complete', async () => {
    const c = await h.connect(h.url, { header: h.userHeader('alice') });
    await c.init();
    assert.deepEqual(await c.start('s1', MSG, { r: 'alice' }, h.userHeader('alice')), { type: 'start_ack', id: 's1' });
    await h.send(user('bob'), 'carol', 'not for alice');
    await h.send(user('bob'), 'alice', 'hello alice');
    const data = await c.nextOfType('data', 's1');
    assert.deepEqual(data.payload, { data: { onMessageReceived: { id: (data.payload!.data as { onMessageReceived: { id: string } }).onMessageReceived.id, text: 'hello alice', receiverId: 'alice' } } });
    c.send({ type: 'stop', id: 's1' });
    assert.deepEqual(await c.nextOfType('complete', 's1'), { type: 'complete', id: 's1' });
    await h.send(user('bob'), 'alice', 'after stop');
    // A later subscription's data proves the stopped one got nothing in between.
    await c.start('s2', ANY, undefined, h.apiKeyHeader);
    await h.send(user('bob'), 'alice', 'marker');
    assert.equal(((await c.nextOfType('data', 's2')).payload!.data as { onAnyMessage: { text: string } }).onAnyMessage.text, 'marker');
    assert.equal(c.frames.filter((f) => f.type === 'data').length, 0);
  });

  test('auth modes mix per start on one socket; refusals are AppSync errors carrying the id', async () => {
    const c = await h.connect(h.url, { header: h.apiKeyHeader });
    await c.init();
    // API key connection, user-pool subscription: allowed with its own authorization.
    assert.equal((await c.start('up', MSG, { r: 'dave' }, h.userHeader('dave'))).type, 'start_ack');
    // The field does not allow API_KEY.
    const byKey = await c.start('key', MSG, { r: 'dave' });
    assert.equal(byKey.type, 'error');
    assert.equal(byKey.id, 'key');
    assert.equal(byKey.payload!.errors![0].errorType, 'Unauthorized');
    assert.equal(byKey.payload!.errors![0].message, 'Not Authorized to access onMessageReceived on type Subscription');
    // Someone else's private data.
    const other = await c.start('other', MSG, { r: 'erin' }, h.userHeader('dave'));
    assert.equal(other.type, 'error');
    assert.equal(other.payload!.errors![0].errorType, 'Unauthorized');
    // A start whose own credentials are bad.
    const bad = await c.start('bad', MSG, { r: 'dave' }, { host: h.host, Authorization: fakeToken({ sub: 'dave' }, 'forged') });
    assert.deepEqual(bad.payload!.errors, [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }]);
    await h.send(user('x'), 'dave', 'to dave');
    assert.equal(((await c.nextOfType('data', 'up')).payload!.data as { onMessageReceived: { text: string } }).onMessageReceived.text, 'to dave');
  });

  test('invalid subscriptions: validation errors (no errorType), queries, bad payloads', async () => {
    const c = await h.connect(h.url, { header: h.apiKeyHeader });
    await c.init();
    const invalid = await c.start('v', 'subscription { onAnyMessage { nope } }');
    assert.equal(invalid.type, 'error');
    assert.match(String(invalid.payload!.errors![0].message), /^Validation error of type FieldUndefined: Field 'nope' in type 'Message' is undefined/);
    assert.equal(invalid.payload!.errors![0].errorType, undefined);
    const query = await c.start('q', '{ ping }');
    assert.deepEqual(query.payload!.errors, [{ errorType: 'UnsupportedOperation', message: 'query not supported through the realtime channel' }]);
    c.send({ id: 'p', type: 'start', payload: { data: '{not json' } });
    assert.equal((await c.nextOfType('error', 'p')).payload!.errors![0].errorType, 'BadRequestException');
    c.send({ id: 'p2', type: 'start', payload: { query: 'subscription { onAnyMessage { id } }' } });
    assert.equal((await c.nextOfType('error', 'p2')).payload!.errors![0].errorType, 'BadRequestException');
    const vars = await c.start('w', 'subscription($s: ID!) { onAnyMessage(senderId: $s) { id } }', {});
    assert.match(String(vars.payload!.errors![0].message), /Variable 's' has coerced Null value for NonNull type 'ID!'/);
    assert.equal((await c.start('ok', ANY)).type, 'start_ack');
  });

  test('bad input: garbage, unknown types, binary, start before init, duplicate ids, too many subscriptions', async () => {
    const bystander = await h.connect(h.url, { header: h.apiKeyHeader });
    await bystander.init();
    await bystander.start('b', ANY);

    const c = await h.connect(h.url, { header: h.apiKeyHeader });
    const early = await c.start('early', ANY);
    assert.deepEqual(early.payload!.errors![0].errorType, 'BadRequestException');
    assert.equal(early.id, 'early');
    c.send('garbage {{{');
    assert.deepEqual((await c.nextOfType('error')).payload!.errors, [{ errorType: 'UnsupportedOperation', message: 'unknown not supported through the realtime channel' }]);
    c.send({ type: 'subscribe', id: 'gql-transport-ws' });
    assert.equal((await c.nextOfType('error', 'gql-transport-ws')).payload!.errors![0].errorType, 'UnsupportedOperation');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.nextOfType('error')).payload!.errors![0].errorType, 'UnsupportedOperation');
    c.send('[]');
    c.send('null');
    c.send({ type: 42 });
    for (let i = 0; i < 3; i++) await c.nextOfType('error');
    await c.init();
    assert.equal((await c.start('dup', ANY)).type, 'start_ack');
    const dup = await c.start('dup', ANY);
    assert.deepEqual(dup, { type: 'error', id: 'dup', payload: { errors: [{ errorType: 'DuplicatedOperationError', message: 'Duplicated operation with id dup' }] } });
    c.send({ type: 'start', payload: { data: '{}' } });
    assert.equal((await c.nextOfType('error')).payload!.errors![0].errorType, 'BadRequestException');
    // The connection still works, and so does the other one.
    await h.send(user('z'), 'y', 'still up');
    await c.nextOfType('data', 'dup');
    await bystander.nextOfType('data', 'b');
    assert.equal(c.ws.readyState, c.ws.OPEN);
  });

  test('the subscription limit per connection answers MaxSubscriptionsReachedError', async () => {
    const small = await harness({ maxSubscriptionsPerConnection: 3 });
    try {
      const c = await small.connect(small.url, { header: small.apiKeyHeader });
      await c.init();
      for (let i = 0; i < 3; i++) assert.equal((await c.start(`s${i}`, ANY)).type, 'start_ack');
      assert.deepEqual((await c.start('s3', ANY)).payload!.errors, [{ errorType: 'MaxSubscriptionsReachedError', message: 'Max number of 3 subscriptions reached' }]);
      c.send({ type: 'stop', id: 's0' });
      await c.nextOfType('complete', 's0');
      assert.equal((await c.start('s3', ANY)).type, 'start_ack');
    } finally {
      await small.stop();
    }
  });

  test('a frame over maxPayloadBytes closes that connection with 1009; others carry on', async () => {
    const other = await h.connect(h.url, { header: h.apiKeyHeader });
    await other.init();
    const c = await h.connect(h.url, { header: h.apiKeyHeader });
    await c.init();
    c.send({ type: 'start', id: 'huge', payload: { data: 'x'.repeat(300 * 1024) } });
    assert.equal((await c.closed).code, 1009);
    assert.equal((await other.start('fine', ANY)).type, 'start_ack');
  });

  test('a flood of invalid frames closes the connection with connection_error', async () => {
    const c = await h.connect(h.url, { header: h.apiKeyHeader });
    await c.init();
    for (let i = 0; i < 150; i++) c.send('x');
    const frame = await c.nextOfType('connection_error');
    assert.equal(frame.payload!.errors![0].errorType, 'LimitExceededError');
    assert.equal((await c.closed).code, 1008);
  });

  test('other paths are not upgraded', async () => {
    await assert.rejects(RawClient.connect(h.url.replace('/graphql/realtime', '/nope')), /upgrade refused: 404/);
  });

  test('presence hooks: a user-pool connection holds its user from ack to close', async () => {
    const c = await h.connect(h.url, { header: h.userHeader('pat') });
    await c.init();
    assert.ok(h.presence.includes('+pat'));
    assert.ok(!h.presence.includes('-pat'));
    c.close();
    await c.closed;
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(h.presence.includes('-pat'));
  });
});

describe('AppSync real-time timers', () => {
  test('keep-alives, init timeout, and dead clients closed after the idle timeout', async () => {
    const h = await harness({ keepAliveMs: 40, initTimeoutMs: 100, idleTimeoutMs: 300 });
    try {
      const live = await h.connect(h.url, { header: h.userHeader('kim') });
      await live.init();
      for (let i = 0; i < 3; i++) await live.nextOfType('ka');

      const silent = await h.connect(h.url, { header: h.apiKeyHeader });
      const timeout = await silent.nextOfType('connection_error');
      assert.match(String(timeout.payload!.errors![0].message), /connection_init not received/);
      assert.equal((await silent.closed).code, 4408);

      // A client that stops answering pings (a dead phone) is dropped, and its user goes offline.
      const dead = await h.connect(h.url, { header: h.userHeader('lee'), autoPong: false });
      await dead.init();
      assert.ok(h.presence.includes('+lee'));
      const closed = await dead.closed;
      assert.equal(closed.code, 1006);
      assert.ok(h.presence.includes('-lee'));
      // The live one answered its pings all along.
      assert.equal(live.ws.readyState, live.ws.OPEN);
      assert.ok(!h.presence.includes('-kim'));
    } finally {
      await h.stop();
    }
  });
});
