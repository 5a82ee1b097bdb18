import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema, execute, parse } from 'graphql';
import { SubscriptionBroker, type OpenRequest } from '../../src/api/subscriptions/broker.ts';
import { attachPublishers } from '../../src/api/subscriptions/publishing.ts';
import { subscribeMapping } from '../../src/api/subscriptions/mapping.ts';
import { filterOf, FilterIndex } from '../../src/api/subscriptions/filter-index.ts';
import { APPSYNC_PRELUDE } from '../../src/api/appsync/prelude.ts';
import type { Caller, RequestContext } from '../../src/api/context.ts';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/bus/memory-bus.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { buildTestSchema } from './realtime-support.ts';

const user = (sub: string, groups: string[] = []): Caller => ({
  mode: 'AMAZON_COGNITO_USER_POOLS',
  principal: { sub, username: sub, groups, tokenUse: 'access', claims: {} },
});
const API_KEY: Caller = { mode: 'API_KEY' };
const ctx = (caller: Caller): RequestContext => ({ caller });

/** A sink recording parsed payloads; `next()` resolves with the next one. */
function sink() {
  const got: Array<{ data: Record<string, unknown> | null; errors?: Array<Record<string, unknown>> }> = [];
  const waiters: Array<(v: (typeof got)[number]) => void> = [];
  return {
    got,
    deliver(json: string) {
      const v = JSON.parse(json);
      const w = waiters.shift();
      if (w) w(v);
      else got.push(v);
    },
    next(): Promise<(typeof got)[number]> {
      const v = got.shift();
      if (v) return Promise.resolve(v);
      return new Promise((ok, fail) => {
        const t = setTimeout(() => fail(new Error('no event')), 2000);
        waiters.push((x) => (clearTimeout(t), ok(x)));
      });
    },
  };
}

/** Resolves after pending fan-out (publishes are delivered on setImmediate). */
const settle = () => new Promise((r) => setImmediate(() => setImmediate(r)));

function setup(bus?: MemoryBus, origin = 'a') {
  const schema = buildTestSchema();
  const broker = new SubscriptionBroker({ schema, bus, origin, log: silentLogger });
  attachPublishers(schema, (m, p) => broker.publishMutation(m, p));
  const open = (query: string, caller: Caller, variables?: Record<string, unknown>, s = sink()) =>
    broker.open({ document: parse(query), variables, context: ctx(caller) } as OpenRequest, s).then((r) => ({ r, s }));
  const mutate = (query: string, caller: Caller, variableValues?: Record<string, unknown>) =>
    execute({ schema, document: parse(query), contextValue: ctx(caller), variableValues });
  return { schema, broker, open, mutate };
}

const SEND = 'mutation($to: ID, $text: String) { sendMessage(receiverId: $to, text: $text) { id senderId receiverId text meta sentAt tags } }';

describe('@aws_subscribe mapping', () => {
  test('reads which subscriptions each mutation fires', () => {
    const map = subscribeMapping(buildTestSchema());
    assert.deepEqual(map.get('sendMessage'), ['onMessageReceived', 'onAnyMessage']);
    assert.deepEqual(map.get('failMessage'), ['onMessageReceived']);
  });

  test('a directive naming an unknown mutation is a schema error', () => {
    const schema = buildSchema(`${APPSYNC_PRELUDE}
      type T { a: Int }
      type Query { q: T }
      type Mutation { m: T }
      type Subscription { s: T @aws_subscribe(mutations: ["nope"]) }`);
    assert.throws(() => subscribeMapping(schema), /unknown mutation nope/);
  });
});

describe('filter index', () => {
  test('omitted = no filter, null matches null, absent payload fields match nothing', () => {
    const index = new FilterIndex<string>();
    index.add(filterOf({}), 'all');
    index.add(filterOf({ to: 'x' }), 'x');
    index.add(filterOf({ to: null }), 'null');
    index.add(filterOf({ to: 'x', from: 'y' }), 'x-from-y');
    index.add(filterOf({ to: undefined }), 'undefined-is-omitted');
    const match = (payload: Record<string, unknown>) => {
      const out: string[] = [];
      index.forEachMatch(payload, (s) => out.push(s));
      return out.sort();
    };
    assert.deepEqual(match({ to: 'x', from: 'z' }), ['all', 'undefined-is-omitted', 'x']);
    assert.deepEqual(match({ to: 'x', from: 'y' }), ['all', 'undefined-is-omitted', 'x', 'x-from-y']);
    assert.deepEqual(match({ to: null }), ['all', 'null', 'undefined-is-omitted']);
    assert.deepEqual(match({ from: 'y' }), ['all', 'undefined-is-omitted']);
    index.remove(filterOf({ to: 'x' }), 'x');
    assert.deepEqual(match({ to: 'x' }), ['all', 'undefined-is-omitted']);
    assert.equal(index.size, 4);
  });
});

describe('subscription broker', () => {
  test('a subscriber for receiverId X gets X\'s messages and never Y\'s', async () => {
    const { open, mutate } = setup();
    const { r, s } = await open('subscription { onMessageReceived(receiverId: "x") { id receiverId text } }', user('x'));
    assert.equal(r.ok, true);
    await mutate(SEND, user('s'), { to: 'y', text: 'for y' });
    await mutate(SEND, user('s'), { to: 'x', text: 'for x' });
    const event = await s.next();
    assert.equal((event.data!.onMessageReceived as { text: string }).text, 'for x');
    await settle();
    assert.equal(s.got.length, 0);
  });

  test('each subscriber receives only its selection, with aliases and __typename', async () => {
    const { open, mutate } = setup();
    const a = await open('subscription { onAnyMessage { id } }', API_KEY);
    const b = await open('subscription S { msg: onAnyMessage { __typename t: text meta tags } }', user('b'));
    await mutate(SEND, user('s'), { to: 'x', text: 'hi' });
    assert.deepEqual(Object.keys((await a.s.next()).data!.onAnyMessage as object), ['id']);
    const eb = await b.s.next();
    const msg = eb.data!.msg as Record<string, unknown>;
    assert.equal(msg.__typename, 'Message');
    assert.equal(msg.t, 'hi');
    // AWSJSON leaves the server as JSON text, once.
    assert.equal(typeof msg.meta, 'string');
    assert.deepEqual(JSON.parse(msg.meta as string).nested, { ok: true });
    assert.deepEqual(msg.tags, ['a', 'b']);
  });

  test('lazy nested fields the mutation selected are resolved into the payload', async () => {
    const { open, mutate } = setup();
    const { s } = await open('subscription { onAnyMessage { id sender { userId isOnline } } }', API_KEY);
    await mutate('mutation { sendMessage(receiverId: "x") { id sender { userId isOnline } } }', user('lazy'));
    const event = await s.next();
    assert.deepEqual((event.data!.onAnyMessage as { sender: unknown }).sender, { userId: 'lazy', isOnline: true });
    await mutate('mutation { sendMessage(receiverId: "x") { id } }', user('lazy'));
    assert.equal(((await s.next()).data!.onAnyMessage as { sender: unknown }).sender, null);
  });

  test('fields the mutation did not select arrive as null; a missing non-null field nulls its parent with an error', async () => {
    const { open, mutate } = setup();
    const { s } = await open('subscription { onAnyMessage { text sentAt } }', API_KEY);
    const t = await open('subscription { onAnyMessage { id text } }', API_KEY);
    await mutate('mutation { sendMessage(receiverId: "x", text: "t") { text } }', user('s'));
    assert.deepEqual((await s.next()).data, { onAnyMessage: { text: 't', sentAt: null } });
    const event = await t.s.next();
    assert.deepEqual(event.data, { onAnyMessage: null });
    assert.match(String(event.errors?.[0].message), /Cannot return null for non-nullable type: 'ID' within parent 'Message'/);
  });

  test('the filter compares with the mutation result: an unselected filter field never matches', async () => {
    const { open, mutate } = setup();
    const { s } = await open('subscription { onMessageReceived(receiverId: "x") { text } }', user('x'));
    const all = await open('subscription { onAnyMessage { text } }', API_KEY);
    await mutate('mutation { sendMessage(receiverId: "x", text: "unselected") { text } }', user('s'));
    await all.s.next();
    await settle();
    assert.equal(s.got.length, 0);
  });

  test('explicit null filters match null, several arguments must all match', async () => {
    const { open, mutate } = setup();
    const nulls = await open('subscription { onAnyMessage(text: null) { id text } }', API_KEY);
    const both = await open('subscription($s: ID) { onAnyMessage(senderId: $s, text: "yes") { text } }', API_KEY, { s: 'u1' });
    const unset = await open('subscription($s: ID) { onAnyMessage(senderId: $s) { text } }', API_KEY, {});
    await mutate(SEND, user('u2'), { to: 'x', text: 'yes' });
    await mutate(SEND, user('u1'), { to: 'x' });
    await mutate(SEND, user('u1'), { to: 'x', text: 'yes' });
    assert.equal(((await nulls.s.next()).data!.onAnyMessage as { text: null }).text, null);
    assert.equal(((await both.s.next()).data!.onAnyMessage as { text: string }).text, 'yes');
    // An unprovided variable is an omitted argument: no filter.
    for (let i = 0; i < 3; i++) await unset.s.next();
    await settle();
    assert.equal(nulls.s.got.length + both.s.got.length, 0);
  });

  test('refused: a mode the field does not allow, and someone else\'s private data', async () => {
    const { open } = setup();
    const byKey = await open('subscription { onMessageReceived(receiverId: "x") { id } }', API_KEY);
    assert.equal(byKey.r.ok, false);
    if (!byKey.r.ok) {
      assert.equal(byKey.r.phase, 'field');
      assert.equal((byKey.r.errors[0].originalError as unknown as { code: string }).code, 'Unauthorized');
      assert.equal(byKey.r.errors[0].message, 'Not Authorized to access onMessageReceived on type Subscription');
    }
    const other = await open('subscription { onMessageReceived(receiverId: "y") { id } }', user('x'));
    assert.equal(other.r.ok, false);
    const bad = await open('subscription($r: ID) { onMessageReceived(receiverId: $r) { id } }', user('x'), { r: { no: 1 } });
    assert.equal(bad.r.ok, false);
    if (!bad.r.ok) assert.equal(bad.r.phase, 'request');
  });

  test('a field the subscriber\'s groups may not read is null with Unauthorized', async () => {
    const { open, mutate } = setup();
    const plain = await open('subscription { onAnyMessage { id secret } }', user('p'));
    const admin = await open('subscription { onAnyMessage { id secret } }', user('q', ['admin']));
    await mutate('mutation { sendMessage(receiverId: "x") { id secret } }', user('s', ['admin']));
    const ep = await plain.s.next();
    assert.equal((ep.data!.onAnyMessage as { secret: null }).secret, null);
    assert.equal(ep.errors?.[0].errorType, 'Unauthorized');
    assert.equal(((await admin.s.next()).data!.onAnyMessage as { secret: string }).secret, 'classified');
  });

  test('a failed mutation publishes nothing; closing stops delivery', async () => {
    const { open, mutate, broker } = setup();
    const { r, s } = await open('subscription { onAnyMessage { id } }', API_KEY);
    const mine = await open('subscription { onMessageReceived(receiverId: "x") { id } }', user('x'));
    await mutate('mutation { failMessage(receiverId: "x") { id } }', user('s'));
    assert.ok(r.ok);
    if (r.ok) r.subscription.close();
    if (r.ok) r.subscription.close();
    await mutate(SEND, user('s'), { to: 'z' });
    await settle();
    assert.equal(s.got.length + mine.s.got.length, 0);
    assert.equal(broker.stats.subscriptions, 1);
  });

  test('direct publishes (presence) reach the field\'s subscribers', async () => {
    const { open, broker } = setup();
    const { s } = await open('subscription { onPresenceChanged(userId: "u") { userId isOnline } }', API_KEY);
    broker.publish('onPresenceChanged', { userId: 'v', isOnline: true, lastSeen: null });
    broker.publish('onPresenceChanged', { userId: 'u', isOnline: true, lastSeen: null });
    assert.deepEqual((await s.next()).data, { onPresenceChanged: { userId: 'u', isOnline: true } });
  });

  test('replicas: an event published on A reaches subscribers on A once and on B through the bus', async () => {
    const network = new MemoryBusNetwork();
    const a = setup(new MemoryBus(network), 'a');
    const b = setup(new MemoryBus(network), 'b');
    await a.broker.start();
    await b.broker.start();
    const onA = await a.open('subscription { onMessageReceived(receiverId: "x") { text } }', user('x'));
    const onB = await b.open('subscription { onMessageReceived(receiverId: "x") { text } }', user('x'));
    await a.mutate(SEND, user('s'), { to: 'x', text: 'across' });
    a.broker.publish('onPresenceChanged', { userId: 'x', isOnline: true });
    assert.equal(((await onB.s.next()).data!.onMessageReceived as { text: string }).text, 'across');
    assert.equal(((await onA.s.next()).data!.onMessageReceived as { text: string }).text, 'across');
    await settle();
    assert.equal(onA.s.got.length, 0);
    await a.broker.close();
    await b.broker.close();
  });
});
