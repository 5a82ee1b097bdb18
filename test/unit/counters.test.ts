/**
 * UpdateUserCounters and the stream consumer that feeds it, on a real store: exactly-once effect
 * through crashes, replays, shard splits and two replicas. The cases are a suite of a Store: this
 * file runs them on SQLite; test/adapters/counters-dynamodb.test.ts on DynamoDB Local.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeItem } from '../../src/domain/social/keys.ts';
import { recount } from '../../src/domain/social/recount.ts';
import { applyBatch, readLedger, type FaultInjector } from '../../src/functions/batch-ledger.ts';
import { marshallItem, unmarshallItem } from '../../src/functions/dynamodb-json.ts';
import { checkpointKey, leaseKey } from '../../src/functions/stream-consumer.ts';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord } from '../../src/functions/stream-event.ts';
import { counterBacklog } from '../../src/functions/update-user-counters/backlog.ts';
import { doctorCounters } from '../../src/functions/update-user-counters/doctor.ts';
import {
  APPLIED_MARKERS_PK,
  MAX_UPDATES_PER_PART,
  UPDATE_USER_COUNTERS,
  createUpdateUserCounters,
} from '../../src/functions/update-user-counters/handler.ts';
import type { Tables, TransactOperation, UpdateRequest } from '../../src/ports/tables.ts';
import {
  isEntry,
  prng,
  shardedChangeLog,
  sqliteStore,
  yielding,
  withFixture,
  type SocialFixture,
  type Store,
} from './support-social.ts';

let seq = 0;
function record(eventName: DynamoDBStreamRecord['eventName'], followerId: string, followedId: string): DynamoDBStreamRecord {
  const item = edgeItem(followerId, followedId, '2026-01-01T00:00:00.000Z');
  const n = String(++seq).padStart(21, '0');
  return {
    eventID: `evt-${n}`,
    eventName,
    eventSourceARN: 'arn:aws:dynamodb:eu-west-3:000000000000:table/BIIHLIVE-SOCIAL-V2/stream/test',
    dynamodb: {
      Keys: marshallItem({ followerId: item.followerId, SK: item.SK }),
      ...(eventName !== 'INSERT' ? { OldImage: marshallItem(item) } : {}),
      ...(eventName !== 'REMOVE' ? { NewImage: marshallItem(eventName === 'MODIFY' ? { ...item, note: 'x' } : item) } : {}),
      SequenceNumber: n,
      ApproximateCreationDateTime: 1767225600,
    },
  };
}

const updates = (parts: TransactOperation[][]): UpdateRequest[] =>
  parts.flat().map((op) => {
    assert.ok('update' in op);
    return op.update;
  });

async function counters(f: SocialFixture, userId: string) {
  const u = await f.tables.get(f.names.users, { userId }, { consistent: true });
  return { seguidores: u?.seguidores, siguiendo: u?.siguiendo };
}

/** Waits (no timing assertion) until `check` holds; fails after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One random follow or unfollow between two of `users`; true when it changed the graph (one stream record). */
async function randomOp(f: SocialFixture, users: string[], random: () => number): Promise<boolean> {
  const a = users[Math.floor(random() * users.length)];
  const b = users[Math.floor(random() * users.length)];
  if (a === b) return false;
  if (random() < 0.6) return (await f.social.follow(a, b)).created;
  return f.social.unfollow(a, b);
}

/** Runs `fn` over `items`, 10 at a time (setup writes; DynamoDB Local is slow one call at a time). */
async function inParallel<T>(items: T[], fn: (item: T) => Promise<unknown> | undefined): Promise<void> {
  for (let i = 0; i < items.length; i += 10) await Promise.all(items.slice(i, i + 10).map(fn));
}

/** Records every commit of a consumer, tagged with who made it. */
function commitLog() {
  const commits: Array<{ by: string; shard: string; batch: string }> = [];
  const tap =
    (by: string): FaultInjector =>
    ({ phase, ledger, end, part }) => {
      if (phase === 'afterCommit') commits.push({ by, shard: String(ledger.key.sk), batch: `${ledger.key.sk}/${end}/${part}` });
    };
  const duplicates = () => commits.map((c) => c.batch).filter((b, i, all) => all.indexOf(b) !== i);
  return { commits, tap, duplicates };
}

function pureTests(): void {
  test('DynamoDB JSON round-trips every value the store holds', () => {
    const item = { s: 'x', n: -1.5, z: 0, t: true, f: false, nul: null, l: [1, 'a', [null]], m: { k: { deep: 'v' } }, e: [] };
    const wire = marshallItem(item);
    assert.deepEqual(wire.n, { N: '-1.5' });
    assert.deepEqual(wire.nul, { NULL: true });
    assert.deepEqual(wire.m, { M: { k: { M: { deep: { S: 'v' } } } } });
    assert.deepEqual(unmarshallItem(wire), item);
    assert.deepEqual(unmarshallItem({ ss: { SS: ['a'] }, ns: { NS: ['1', '2'] } }), { ss: ['a'], ns: [1, 2] });
  });
}

export interface CountersSizes {
  /** Random follows/unfollows of the property test. */
  propertyOps: number;
}

export function countersSuite(store: Store, sizes: CountersSizes = { propertyOps: 3000 }): void {
  describe(`UpdateUserCounters plan (${store.name})`, () => {
    test('500 follows of one user in a batch are ONE update of +500 on seguidores; parts fit a transaction', () =>
      withFixture(store, async (f) => {
        const [celeb] = await f.users(1, 'celeb');
        const fans = await f.users(500, 'fan');
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        const parts = await fn.plan({ Records: fans.map((fan) => record('INSERT', fan, celeb)) });
        const all = updates(parts);
        const onCeleb = all.filter((u) => u.key.userId === celeb);
        assert.equal(onCeleb.length, 1);
        assert.deepEqual(onCeleb[0].add, { seguidores: 500 });
        assert.equal(all.length, 501);
        assert.ok(parts.every((p) => p.length <= MAX_UPDATES_PER_PART));
        assert.ok(all.filter((u) => u.key.userId !== celeb).every((u) => u.add?.siguiendo === 1 && u.add.seguidores === undefined));
      }));

    test('MODIFY of an edge, and a follow undone in the same batch, change nothing', () =>
      withFixture(store, async (f) => {
        const [a, b] = await f.users(2);
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        assert.deepEqual(await fn.plan({ Records: [record('MODIFY', a, b)] }), []);
        assert.deepEqual(await fn.plan({ Records: [record('INSERT', a, b), record('REMOVE', a, b)] }), []);
        // Items of other shapes and self-edges are not edges.
        const other: DynamoDBStreamRecord = { ...record('INSERT', a, b), dynamodb: { ...record('INSERT', a, b).dynamodb } };
        other.dynamodb.Keys = marshallItem({ followerId: a, SK: 'PROFILE' });
        other.dynamodb.NewImage = marshallItem({ followerId: a, SK: 'PROFILE' });
        assert.deepEqual(await fn.plan({ Records: [other, record('INSERT', a, a)] }), []);
      }));

    test('counters never go negative, and a user without a profile is not resurrected', () =>
      withFixture(store, async (f) => {
        const [a, b] = await f.users(2);
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        // A REMOVE with counters already at 0 (drift): clamped to 0, not -1.
        const r = await fn.handler({ Records: [record('REMOVE', a, b), record('INSERT', a, 'ghost')] });
        assert.deepEqual(r, { batchItemFailures: [] });
        assert.deepEqual(await counters(f, a), { seguidores: 0, siguiendo: 0 });
        assert.deepEqual(await counters(f, b), { seguidores: 0, siguiendo: 0 });
        assert.equal(await f.tables.get(f.names.users, { userId: 'ghost' }), undefined);
      }));
  });

  describe(`exactly-once effect (${store.name})`, () => {
    test('replaying the same stream batch changes nothing the second time (consumer ledger and Lambda ledger)', () =>
      withFixture(store, async (f) => {
        const [a, b, c] = await f.users(3);
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        const event: DynamoDBStreamEvent = { Records: [record('INSERT', a, b), record('INSERT', c, b), record('INSERT', b, a)] };
        const end = event.Records.at(-1)!.dynamodb.SequenceNumber;
        const ledger = { table: f.names.system, key: checkpointKey(UPDATE_USER_COUNTERS, 'test-shard') };
        const state = readLedger(await f.tables.get(ledger.table, ledger.key));
        const apply = () => applyBatch({ tables: f.tables, ledger, state, end, plan: () => fn.plan(event) });
        assert.equal(await apply(), 'applied');
        assert.equal(await apply(), 'superseded');
        assert.deepEqual(await counters(f, b), { seguidores: 2, siguiendo: 1 });

        // The Lambda entry: the same event delivered twice, then a longer redelivery.
        const lambda: DynamoDBStreamEvent = { Records: [record('INSERT', c, a), record('REMOVE', a, b)] };
        assert.deepEqual(await fn.handler(lambda), { batchItemFailures: [] });
        assert.deepEqual(await fn.handler(lambda), { batchItemFailures: [] });
        const longer = { Records: [...lambda.Records, record('INSERT', a, c)] };
        assert.deepEqual(await fn.handler(longer), { batchItemFailures: [] });
        assert.deepEqual(await fn.handler(longer), { batchItemFailures: [] });
        assert.deepEqual(await counters(f, a), { seguidores: 2, siguiendo: 1 });
        assert.deepEqual(await counters(f, b), { seguidores: 1, siguiendo: 1 });
        assert.deepEqual(await counters(f, c), { seguidores: 1, siguiendo: 2 });
      }));

    test('a crash between the parts of a big batch resumes at the next part after restart', () =>
      withFixture(store, async (f) => {
        const [celeb] = await f.users(1, 'celeb');
        const fans = await f.users(250, 'fan');
        await inParallel(fans, (fan) => f.social.follow(fan, celeb));
        let commits = 0;
        const crashing = f.consumer({
          batchSize: 1000,
          faultInjector: ({ phase }) => {
            if (phase === 'afterCommit' && ++commits === 2) throw new Error('killed');
          },
        });
        await f.streamRecords({ atLeast: fans.length });
        await assert.rejects(crashing.drain(), /killed/);
        const [shardId] = await f.shardIds();
        const cp = await f.tables.get(f.names.system, checkpointKey(UPDATE_USER_COUNTERS, shardId), { consistent: true });
        assert.equal(cp?.partsDone, 2);
        await f.consumer({ batchSize: 1000 }).drain();
        assert.deepEqual(await counters(f, celeb), { seguidores: 250, siguiendo: 0 });
        assert.deepEqual(await doctorCounters({ tables: f.tables, tableNames: f.names }), { users: 251, drift: [], fixed: 0, unstable: [] });
      }));
  });

  describe(`runtimes (${store.name})`, () => {
    test('the Lambda entry resumes a half-applied batch on any redelivery: the same batch, bisected halves, a suffix', () =>
      withFixture(store, async (f) => {
        const [celeb] = await f.users(1, 'celeb');
        const fans = await f.users(250, 'fan');
        const event: DynamoDBStreamEvent = { Records: fans.map((fan) => record('INSERT', fan, celeb)) };
        let commits = 0;
        const crashing = createUpdateUserCounters({
          tables: f.tables,
          tableNames: f.names,
          faultInjector: ({ phase }) => {
            if (phase === 'afterCommit' && ++commits === 1) throw new Error('timeout');
          },
        });
        // A crash after the first transaction, at the batch's first record: a function error.
        await assert.rejects(crashing.handler(event), /timeout/);
        const applied = (await counters(f, celeb)).seguidores as number;
        assert.ok(applied > 0 && applied < 250, `part of the batch is applied (${applied})`);

        // Lambda bisects the failed batch: each half alone, then the whole batch and its tail again.
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        const half = event.Records.length / 2;
        assert.deepEqual(await fn.handler({ Records: event.Records.slice(0, half) }), { batchItemFailures: [] });
        assert.deepEqual(await counters(f, celeb), { seguidores: half, siguiendo: 0 });
        assert.deepEqual(await fn.handler({ Records: event.Records.slice(half) }), { batchItemFailures: [] });
        assert.deepEqual(await fn.handler(event), { batchItemFailures: [] });
        assert.deepEqual(await fn.handler({ Records: event.Records.slice(7) }), { batchItemFailures: [] });
        assert.deepEqual(await counters(f, celeb), { seguidores: 250, siguiendo: 0 });
        assert.deepEqual(await counters(f, fans[249]), { seguidores: 0, siguiendo: 1 });
        const marker = await f.tables.get(f.names.system, { pk: APPLIED_MARKERS_PK, sk: event.Records[0].eventID });
        assert.equal(marker?.sequenceNumber, event.Records[0].dynamodb.SequenceNumber);
        assert.equal(typeof marker?.expiresAt, 'number', 'markers expire (DynamoDB TTL)');
      }));

    test('the Lambda entry reports a failure after the first record as a partial batch failure from there', () =>
      withFixture(store, async (f) => {
        const [a, b, c] = await f.users(3);
        const fans = await f.users(60, 'fan');
        const event: DynamoDBStreamEvent = { Records: [...fans.map((fan) => record('INSERT', fan, a)), record('INSERT', b, c)] };
        let commits = 0;
        const failing = createUpdateUserCounters({
          tables: f.tables,
          tableNames: f.names,
          faultInjector: ({ phase }) => {
            if (phase === 'beforeCommit' && ++commits === 2) throw new Error('throttled');
          },
        });
        const response = await failing.handler(event);
        assert.equal(response.batchItemFailures.length, 1);
        const from = event.Records.findIndex((r) => r.dynamodb.SequenceNumber === response.batchItemFailures[0].itemIdentifier);
        assert.ok(from > 0, 'the first group is applied; the failure is reported where the second one starts');
        assert.deepEqual(await counters(f, a), { seguidores: from, siguiendo: 0 });
        // Lambda retries from the reported record.
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        assert.deepEqual(await fn.handler({ Records: event.Records.slice(from) }), { batchItemFailures: [] });
        assert.deepEqual(await counters(f, a), { seguidores: 60, siguiendo: 0 });
        assert.deepEqual(await counters(f, c), { seguidores: 1, siguiendo: 0 });
      }));

    test('the embedded consumer, started in the background, applies follows until stopped', () =>
      withFixture(store, async (f) => {
        const [a, b] = await f.users(2);
        const consumer = f.consumer();
        consumer.start();
        await f.social.follow(a, b);
        for (let i = 0; i < 2000 && (await counters(f, b)).seguidores !== 1; i++) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(await counters(f, b), { seguidores: 1, siguiendo: 0 });
        await f.social.unfollow(a, b);
        for (let i = 0; i < 2000 && (await counters(f, b)).seguidores !== 0; i++) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(await counters(f, a), { seguidores: 0, siguiendo: 0 });
        await consumer.stop();
        await f.social.follow(b, a);
        await new Promise((r) => setTimeout(r, 30));
        assert.deepEqual(await counters(f, a), { seguidores: 0, siguiendo: 0 }, 'stopped means stopped');
        assert.equal(await f.consumer().drain(), 1);
        assert.deepEqual(await counters(f, a), { seguidores: 1, siguiendo: 0 });
      }));
  });

  describe(`counter property (${store.name})`, () => {
    test('random concurrent follows/unfollows, consumer killed mid-batch and restarted, batches replayed: zero drift', () =>
      withFixture(store, async (f) => {
        const random = prng(20260101);
        // Enough users that a batch often needs two transactions: kills land between its parts too.
        const users = await f.users(150);
        const [shardId] = await f.shardIds();
        const OPS = sizes.propertyOps;
        const WORKERS = 8;
        let issued = 0;
        let changes = 0;
        let kills = 0;
        let midBatchKills = 0;
        let replays = 0;
        let writing = true;

        // Writers: each op picks two users and follows or unfollows, some retried twice. Each op
        // starts from the event loop, as a request would (so the consumer's turns interleave).
        const writer = async () => {
          while (issued < OPS) {
            issued++;
            await new Promise((r) => setImmediate(r));
            const times = random() < 0.1 ? 2 : 1;
            for (let t = 0; t < times; t++) if (await randomOp(f, users, random)) changes++;
          }
        };

        // The counters function, killed at random points (before or right after a commit, so also
        // between the parts of a batch) and restarted as a fresh consumer; sometimes a stale batch
        // is replayed as a zombie consumer would.
        const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
        const runner = async () => {
          while (writing) {
            const consumer = f.consumer({
              tables: yielding(f.tables),
              // Small batches, and big ones that need two transactions.
              batchSize: random() < 0.5 ? 1 + Math.floor(random() * 50) : 150 + Math.floor(random() * 250),
              faultInjector: ({ phase, part, parts }) => {
                const between = (phase === 'afterCommit' && part < parts - 1) || (phase === 'beforeCommit' && part > 0);
                // The first chance to die between two parts is always taken, later ones at random.
                if (random() >= (between ? (midBatchKills === 0 ? 1 : 0.4) : 0.15)) return;
                if (between) midBatchKills++;
                throw new Error('killed');
              },
            });
            try {
              await consumer.drain();
            } catch {
              kills++;
              // A restart takes a while: a backlog builds up, so batches span two transactions.
              for (const target = changes + 150; writing && changes < target; ) await new Promise((r) => setTimeout(r, 1));
            }
            if (replays === 0 || random() < 0.2) {
              const ledger = { table: f.names.system, key: checkpointKey(UPDATE_USER_COUNTERS, shardId) };
              const applied = readLedger(await f.tables.get(ledger.table, ledger.key, { consistent: true })).sequenceNumber;
              const { records } = await f.tables.changes.read({ table: f.names.social, shardId, limit: 20 });
              const replay = records.filter((r) => applied !== undefined && BigInt(r.sequenceNumber) <= BigInt(applied));
              // Replaying applied records against a stale checkpoint (a zombie consumer) is refused as a whole.
              if (replay.length > 0) {
                replays++;
                const outcome = await applyBatch({
                  tables: f.tables,
                  ledger,
                  state: {},
                  end: replay.at(-1)!.sequenceNumber,
                  plan: () =>
                    fn.plan({
                      Records: replay.map((r) => ({
                        eventID: r.sequenceNumber,
                        eventName: r.eventName,
                        dynamodb: { Keys: marshallItem(r.keys), SequenceNumber: r.sequenceNumber },
                      })),
                    }),
                });
                assert.equal(outcome, 'superseded');
              }
            }
            await new Promise((r) => setImmediate(r));
          }
        };

        const running = runner();
        await Promise.all(Array.from({ length: WORKERS }, writer));
        writing = false;
        await running;
        // Exactly one stream record per real change of the graph, then the consumer catches up.
        assert.equal((await f.streamRecords({ atLeast: changes })).length, changes);
        await f.catchUp();

        assert.ok(kills > 0 && midBatchKills > 0 && replays > 0, `killed ${kills} (${midBatchKills} mid-batch), replayed ${replays}`);
        const report = await recount({ tables: f.tables, tableNames: f.names });
        assert.deepEqual(report.drift, []);
        assert.equal(report.users, users.length);
        const doctor = await doctorCounters({ tables: f.tables, tableNames: f.names });
        assert.deepEqual(doctor, { users: users.length, drift: [], fixed: 0, unstable: [] });
        // And the counters are not trivially zero.
        const total = (await Promise.all(users.map((u) => counters(f, u)))).reduce((s, c) => s + Number(c.seguidores), 0);
        assert.ok(total > 0);
      }));
  });

  describe(`doctor counters (${store.name})`, () => {
    test('reports every corrupted counter, repairs it with --fix, and does not mistake unapplied follows for drift', () =>
      withFixture(store, async (f) => {
        const random = prng(7);
        const users = await f.users(100);
        const pairs = Array.from({ length: 400 }, () => [users[Math.floor(random() * users.length)], users[Math.floor(random() * users.length)]]);
        await inParallel(pairs, ([a, b]) => (a !== b ? f.social.follow(a, b) : undefined));
        await f.catchUp();
        // Corrupt 5 counters by +-1..5 (never below zero).
        const corrupted = new Map<string, number>();
        for (const userId of users.slice(10, 15)) {
          const { seguidores } = await counters(f, userId);
          const by = (1 + Math.floor(random() * 5)) * (Number(seguidores) >= 5 && random() < 0.5 ? -1 : 1);
          await f.tables.update({ table: f.names.users, key: { userId }, add: { seguidores: by } });
          corrupted.set(userId, by);
        }
        // Follows written but not yet applied by the consumer are pending, not drift.
        await f.social.follow(users[0], users[1]).catch(() => undefined);
        await f.social.follow(users[2], users[3]).catch(() => undefined);

        const report = await doctorCounters({ tables: f.tables, tableNames: f.names });
        assert.equal(report.drift.length, corrupted.size);
        for (const d of report.drift) {
          assert.equal(d.field, 'seguidores');
          assert.equal(d.stored - d.actual, corrupted.get(d.userId));
        }
        const fixedReport = await doctorCounters({ tables: f.tables, tableNames: f.names, fix: true });
        assert.equal(fixedReport.fixed, corrupted.size);
        await f.catchUp();
        assert.deepEqual((await doctorCounters({ tables: f.tables, tableNames: f.names })).drift, []);
        assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
      }));

    test('a repair running concurrently with follows and the consumer loses nothing', () =>
      withFixture(store, async (f) => {
        const random = prng(99);
        const users = await f.users(20);
        for (const userId of users) await f.tables.update({ table: f.names.users, key: { userId }, set: { seguidores: 3 } });
        const consumer = f.consumer();
        consumer.start();
        let repairing = true;
        let ops = 0;
        const follows = (async () => {
          while (repairing || ops < 300) {
            ops++;
            await new Promise((r) => setImmediate(r));
            const a = users[Math.floor(random() * users.length)];
            const b = users[Math.floor(random() * users.length)];
            if (a === b) continue;
            if (random() < 0.7) await f.social.follow(a, b);
            else await f.social.unfollow(a, b);
          }
        })();
        let last = { unstable: [] as string[], fixed: 0 };
        let fixed = 0;
        for (let i = 0; i < 3; i++) {
          last = await doctorCounters({ tables: yielding(f.tables), tableNames: f.names, fix: true });
          fixed += last.fixed;
        }
        repairing = false;
        await follows;
        await consumer.stop();
        await f.catchUp();
        assert.ok(fixed > 0);
        // Every repair was conditional on the value it read: none clobbered a concurrent counter
        // update, so whatever a pass judged stays right; only users it could not judge may drift.
        const drift = (await recount({ tables: f.tables, tableNames: f.names })).drift;
        for (const d of drift) assert.ok(last.unstable.includes(d.userId), `unexpected drift ${JSON.stringify(d)}`);
        for (const userId of users) {
          const c = await counters(f, userId);
          assert.ok(Number(c.seguidores) >= 0 && Number(c.siguiendo) >= 0);
        }
      }));
  });

  describe(`stream shards and leases (${store.name})`, () => {
    const lease = { leaseMs: 500, renewMs: 100, idleMs: 20 };

    test('a lease item per shard: taken on the first poll, renewed while running, given up on stop', () =>
      withFixture(store, async (f) => {
        const [a, b] = await f.users(2);
        const [shardId] = await f.shardIds();
        const leaseItem = () => f.tables.get(f.names.system, leaseKey(UPDATE_USER_COUNTERS, shardId), { consistent: true });
        const consumer = f.consumer({ owner: 'replica-a', ...lease });
        consumer.start();
        await f.social.follow(a, b);
        await until('the follow is counted', async () => (await counters(f, b)).seguidores === 1);
        const first = await leaseItem();
        assert.equal(first?.owner, 'replica-a');
        assert.deepEqual(consumer.heldShards(), [shardId]);
        await until('the lease is renewed', async () => Number((await leaseItem())?.expiresAt) > Number(first?.expiresAt));
        await consumer.stop();
        assert.equal(await leaseItem(), undefined);
        assert.deepEqual(consumer.heldShards(), []);
      }));

    test('a replica paused past its lease cannot commit once another took the shard over', () =>
      withFixture(store, async (f) => {
        const [a, b] = await f.users(2);
        await f.social.follow(a, b);
        await f.streamRecords({ atLeast: 1 });
        const [shardId] = await f.shardIds();
        let paused!: () => void;
        let resume!: () => void;
        const isPaused = new Promise<void>((r) => (paused = r));
        const resumed = new Promise<void>((r) => (resume = r));
        // Replica A has planned its batch and stalls (GC, network) right before committing.
        const stalled = f.consumer({
          owner: 'replica-a',
          ...lease,
          faultInjector: async ({ phase }) => {
            if (phase !== 'beforeCommit') return;
            paused();
            await resumed;
          },
        });
        const drainA = stalled.drain();
        await isPaused;
        const leaseItem = () => f.tables.get(f.names.system, leaseKey(UPDATE_USER_COUNTERS, shardId), { consistent: true });
        await until('A\'s lease expires', async () => Number((await leaseItem())?.expiresAt) < Date.now());
        // Replica B takes the shard over, then crashes before committing: the checkpoint has not moved.
        const crashing = f.consumer({
          tables: await f.replica(),
          owner: 'replica-b',
          ...lease,
          faultInjector: ({ phase }) => {
            if (phase === 'beforeCommit') throw new Error('B crashed');
          },
        });
        await assert.rejects(crashing.drain(), /B crashed/);
        assert.equal((await leaseItem())?.owner, 'replica-b');
        resume();
        // A's commit carries "the lease is mine": it is refused although the checkpoint would allow it.
        assert.equal(await drainA, 0);
        assert.deepEqual(stalled.heldShards(), []);
        assert.deepEqual(await counters(f, b), { seguidores: 0, siguiendo: 0 });
        assert.equal(await f.tables.get(f.names.system, checkpointKey(UPDATE_USER_COUNTERS, shardId), { consistent: true }), undefined);
        // B, restarted (same owner id), resumes at once and applies the follow exactly once.
        assert.equal(await f.consumer({ tables: await f.replica(), owner: 'replica-b', ...lease }).drain(), 1);
        assert.deepEqual(await counters(f, b), { seguidores: 1, siguiendo: 0 });
      }));

    test('two replicas on one stream never double-apply; a crashed one\'s shard is taken over after its lease expires', () =>
      withFixture(store, async (f) => {
        const users = await f.users(40);
        const random = prng(11);
        const { commits, tap, duplicates } = commitLog();
        const replicaA = f.consumer({ owner: 'replica-a', ...lease, faultInjector: tap('replica-a') });
        const replicaB = f.consumer({ tables: await f.replica(), owner: 'replica-b', ...lease, faultInjector: tap('replica-b') });
        replicaA.start();
        replicaB.start();
        const writer = async (n: number) => {
          for (let i = 0; i < n; i++) await randomOp(f, users, random);
        };
        const writers = (n: number) => Promise.all([writer(n), writer(n), writer(n), writer(n)]);
        await writers(60);
        const [shardId] = await f.shardIds();
        const leaseItem = () => f.tables.get(f.names.system, leaseKey(UPDATE_USER_COUNTERS, shardId), { consistent: true });
        await until('a replica holds the shard', async () => (await leaseItem()) !== undefined && commits.length > 0);
        const holder = (await leaseItem())?.owner === 'replica-a' ? replicaA : replicaB;
        const survivor = holder === replicaA ? replicaB : replicaA;
        // Crash: the holder stops without giving its lease up.
        await holder.stop({ release: false });
        const crashedAt = commits.length;
        await writers(60);
        await until('the survivor took the shard over', async () => (await leaseItem())?.owner === survivor.owner);
        await until('the survivor applies the new follows', () => commits.slice(crashedAt).length > 0);
        await survivor.stop();
        await f.catchUp();

        assert.deepEqual(duplicates(), []);
        assert.ok(commits.slice(crashedAt).every((c) => c.by === survivor.owner));
        assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
      }));

    test('shard splits: every parent is drained before its children; counters end exact', () =>
      withFixture(store, async (f) => {
        const users = await f.users(24);
        const random = prng(5);
        const sharded = await shardedChangeLog(f.tables, f.names.social);
        const tables = sharded.wrap(f.tables);
        const { commits, tap } = commitLog();
        for (let round = 0; round < 6; round++) {
          for (let i = 0; i < 40; i++) await randomOp(f, users, random);
          // Apply only some of it, so parents still hold records when they are split.
          await f.consumer({ tables, batchSize: 7, shardRefreshMs: 0, faultInjector: tap('poll') }).pollOnce();
          const open = sharded.openShards();
          await sharded.split(open[Math.floor(random() * open.length)]);
        }
        for (let i = 0; i < 40; i++) await randomOp(f, users, random);
        await f.consumer({ tables, batchSize: 7, faultInjector: tap('drain') }).drain();

        const shards = await tables.changes.listShards(f.names.social);
        const committed = new Set(commits.map((c) => c.shard));
        assert.ok(committed.size >= 6, `batches came from ${committed.size} shards`);
        for (const shard of shards) {
          const checkpoint = await f.tables.get(f.names.system, checkpointKey(UPDATE_USER_COUNTERS, shard.shardId), { consistent: true });
          assert.equal(checkpoint?.ended === true, shard.closed, shard.shardId);
          if (!shard.parentShardId) continue;
          const lastOfParent = commits.map((c) => c.shard).lastIndexOf(shard.parentShardId);
          const firstOfChild = commits.findIndex((c) => c.shard === shard.shardId);
          if (firstOfChild >= 0) assert.ok(lastOfParent < firstOfChild, `${shard.shardId} started before its parent ended`);
        }
        assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
      }));

    test('a failing shard does not hold the others back', () =>
      withFixture(store, async (f) => {
        const users = await f.users(12);
        const random = prng(3);
        const sharded = await shardedChangeLog(f.tables, f.names.social);
        for (let i = 0; i < 30; i++) await randomOp(f, users, random);
        const [broken, healthy] = await sharded.split('split-r');
        for (let i = 0; i < 60; i++) await randomOp(f, users, random);
        const tables = sharded.wrap(f.tables);
        const changes: Tables['changes'] = {
          listShards: (table) => tables.changes.listShards(table),
          read: (request) => (request.shardId === broken ? Promise.reject(new Error('poison')) : tables.changes.read(request)),
        };
        const failing = new Proxy(tables, { get: (target, prop, receiver) => (prop === 'changes' ? changes : Reflect.get(target, prop, receiver)) });
        await assert.rejects(f.consumer({ tables: failing }).drain(), /poison/);
        const checkpoint = (shardId: string) =>
          f.tables.get(f.names.system, checkpointKey(UPDATE_USER_COUNTERS, shardId), { consistent: true });
        assert.equal(typeof (await checkpoint(healthy))?.sequenceNumber, 'string');
        assert.equal(await checkpoint(broken), undefined);
        await f.consumer({ tables }).drain();
        assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
      }));

    test('two replicas over split shards: a crashed replica\'s shards, and their children, are taken over', () =>
      withFixture(store, async (f) => {
        const users = await f.users(30);
        const random = prng(23);
        const sharded = await shardedChangeLog(f.tables, f.names.social);
        const writes = async (n: number) => {
          for (let i = 0; i < n; i++) await randomOp(f, users, random);
        };
        await writes(50);
        const [left] = await sharded.split('split-r');
        await writes(50);
        await sharded.split(left);
        await writes(50);
        const { commits, tap, duplicates } = commitLog();
        const options = { ...lease, shardRefreshMs: 50 };
        const replicaA = f.consumer({ tables: sharded.wrap(f.tables), owner: 'replica-a', ...options, faultInjector: tap('replica-a') });
        const replicaB = f.consumer({ tables: sharded.wrap(await f.replica()), owner: 'replica-b', ...options, faultInjector: tap('replica-b') });
        replicaA.start();
        await until('replica A holds every open shard', () => replicaA.heldShards().length === sharded.openShards().length);
        replicaB.start();
        await writes(50);
        const held = replicaA.heldShards();
        await replicaA.stop({ release: false });
        const crashedAt = commits.length;
        // One of A's shards splits after the crash: B must drain it before the new children.
        await sharded.split(held[0]);
        await writes(80);
        const leaseOwner = async (shardId: string) =>
          (await f.tables.get(f.names.system, leaseKey(UPDATE_USER_COUNTERS, shardId), { consistent: true }))?.owner;
        await until('B holds every open shard', async () => {
          const owners = await Promise.all(sharded.openShards().map(leaseOwner));
          return owners.every((o) => o === 'replica-b');
        });
        const backlog = counterBacklog({ tables: sharded.wrap(f.tables), tableNames: f.names });
        await until('B applied everything', async () => (await backlog.snapshot()).pending.size === 0);
        await replicaB.stop();

        assert.deepEqual(duplicates(), []);
        assert.ok(commits.slice(crashedAt).every((c) => c.by === 'replica-b'));
        assert.ok(commits.slice(crashedAt).some((c) => held.includes(c.shard) || held.some((h) => c.shard.startsWith(`${h}.`))));
        assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
      }));
  });
}

if (isEntry(import.meta.url)) {
  pureTests();
  countersSuite(sqliteStore);
}
