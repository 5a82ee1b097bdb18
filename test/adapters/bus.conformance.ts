/**
 * The Bus port's contract (src/ports/bus.ts), run against every adapter: memory and Redis.
 * `deployment()` returns a factory of buses that see each other (one deployment's replicas);
 * two calls to `deployment()` must be isolated from each other.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BusClosedError, type Bus } from '../../src/ports/bus.ts';

export interface BusFixture {
  /** A new deployment: each call of the returned function opens one more replica's bus. */
  deployment(): () => Promise<Bus>;
  /** Called once after the suite. */
  cleanup?(): Promise<void>;
}

/** Collects messages; `until(n)` resolves when n have arrived (fails after 5 s). */
function inbox() {
  const messages: string[] = [];
  let waiters: Array<{ n: number; ok: () => void }> = [];
  const handler = (m: string) => {
    messages.push(m);
    waiters = waiters.filter((w) => (messages.length >= w.n ? (w.ok(), false) : true));
  };
  const until = (n: number) =>
    messages.length >= n
      ? Promise.resolve(messages)
      : new Promise<string[]>((ok, fail) => {
          const timer = setTimeout(() => fail(new Error(`got ${messages.length} of ${n} messages`)), 5000);
          waiters.push({ n, ok: () => (clearTimeout(timer), ok(messages)) });
        });
  return { messages, handler, until };
}

export function busConformance(name: string, fixture: BusFixture): void {
  describe(`Bus conformance: ${name}`, () => {
    const opened: Bus[] = [];
    const open = async (make: () => Promise<Bus>) => {
      const bus = await make();
      opened.push(bus);
      return bus;
    };
    after(async () => {
      await Promise.all(opened.map((b) => b.close()));
      await fixture.cleanup?.();
    });

    test('a message reaches subscribers on the publishing bus and on the other replicas', async () => {
      const make = fixture.deployment();
      const [a, b] = [await open(make), await open(make)];
      const onA = inbox();
      const onB = inbox();
      await a.subscribe('events', onA.handler);
      await b.subscribe('events', onB.handler);
      await a.publish('events', 'hello');
      assert.deepEqual(await onA.until(1), ['hello']);
      assert.deepEqual(await onB.until(1), ['hello']);
    });

    test('handlers never run inside publish()', async () => {
      const make = fixture.deployment();
      const a = await open(make);
      const box = inbox();
      let inside = false;
      await a.subscribe('sync', (m) => {
        assert.equal(inside, false);
        box.handler(m);
      });
      inside = true;
      const p = a.publish('sync', 'x');
      inside = false;
      await p;
      await box.until(1);
    });

    test('messages of one publisher arrive in order', async () => {
      const make = fixture.deployment();
      const [a, b] = [await open(make), await open(make)];
      const box = inbox();
      await b.subscribe('ordered', box.handler);
      const sent = Array.from({ length: 500 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((m) => a.publish('ordered', m)));
      assert.deepEqual(await box.until(sent.length), sent);
    });

    test('channels are isolated', async () => {
      const make = fixture.deployment();
      const a = await open(make);
      const one = inbox();
      const two = inbox();
      await a.subscribe('one', one.handler);
      await a.subscribe('two', two.handler);
      await a.publish('one', '1');
      await a.publish('two', '2');
      assert.deepEqual(await one.until(1), ['1']);
      assert.deepEqual(await two.until(1), ['2']);
      await a.publish('two', '2b');
      await two.until(2);
      assert.deepEqual(one.messages, ['1']);
    });

    test('every handler of a channel receives the message, even when another one throws', async () => {
      const make = fixture.deployment();
      const a = await open(make);
      const box = inbox();
      await a.subscribe('many', () => {
        throw new Error('handler failure');
      });
      await a.subscribe('many', box.handler);
      await a.subscribe('many', box.handler);
      await a.publish('many', 'x');
      assert.deepEqual(await box.until(2), ['x', 'x']);
    });

    test('unsubscribing stops delivery to that handler only, and may be repeated', async () => {
      const make = fixture.deployment();
      const [a, b] = [await open(make), await open(make)];
      const gone = inbox();
      const stays = inbox();
      const unsubscribe = await b.subscribe('u', gone.handler);
      await b.subscribe('u', stays.handler);
      await a.publish('u', 'before');
      await gone.until(1);
      await stays.until(1);
      await unsubscribe();
      await unsubscribe();
      await a.publish('u', 'after');
      await stays.until(2);
      assert.deepEqual(gone.messages, ['before']);
    });

    test('large and non-ASCII messages arrive intact', async () => {
      const make = fixture.deployment();
      const [a, b] = [await open(make), await open(make)];
      const box = inbox();
      await b.subscribe('big', box.handler);
      const big = JSON.stringify({ text: 'ñandú 🦤 '.repeat(20_000) });
      await a.publish('big', big);
      assert.equal((await box.until(1))[0], big);
    });

    test('deployments do not see each other', async () => {
      const [first, second] = [fixture.deployment(), fixture.deployment()];
      const a = await open(first);
      const other = await open(second);
      const mine = inbox();
      const theirs = inbox();
      await a.subscribe('shared-name', mine.handler);
      await other.subscribe('shared-name', theirs.handler);
      await a.publish('shared-name', 'for-first');
      await other.publish('shared-name', 'for-second');
      assert.deepEqual(await mine.until(1), ['for-first']);
      assert.deepEqual(await theirs.until(1), ['for-second']);
      await a.publish('shared-name', 'again');
      await mine.until(2);
      assert.deepEqual(theirs.messages, ['for-second']);
    });

    test('a closed bus refuses to publish and subscribe, receives nothing, and closes again quietly', async () => {
      const make = fixture.deployment();
      const [a, b] = [await open(make), await open(make)];
      const closedBox = inbox();
      const liveBox = inbox();
      await b.subscribe('c', closedBox.handler);
      await a.subscribe('c', liveBox.handler);
      await b.close();
      await b.close();
      await assert.rejects(b.publish('c', 'x'), BusClosedError);
      await assert.rejects(b.subscribe('c', () => {}), BusClosedError);
      await a.publish('c', 'after-close');
      await liveBox.until(1);
      assert.deepEqual(closedBox.messages, []);
    });
  });
}
