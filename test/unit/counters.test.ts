import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { edgeItem } from '../../src/domain/social/keys.ts';
import { recount } from '../../src/domain/social/recount.ts';
import { applyBatch, readLedger } from '../../src/functions/batch-ledger.ts';
import { marshallItem, unmarshallItem } from '../../src/functions/dynamodb-json.ts';
import { checkpointKey } from '../../src/functions/stream-consumer.ts';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord } from '../../src/functions/stream-event.ts';
import { doctorCounters } from '../../src/functions/update-user-counters/doctor.ts';
import {
  MAX_UPDATES_PER_PART,
  UPDATE_USER_COUNTERS,
  createUpdateUserCounters,
} from '../../src/functions/update-user-counters/handler.ts';
import type { TransactOperation, UpdateRequest } from '../../src/ports/tables.ts';
import { openSocialFixture, prng, yielding, type SocialFixture } from './support-social.ts';

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
  const u = await f.tables.get(f.names.users, { userId });
  return { seguidores: u?.seguidores, siguiendo: u?.siguiendo };
}

test('DynamoDB JSON round-trips every value the store holds', () => {
  const item = { s: 'x', n: -1.5, z: 0, t: true, f: false, nul: null, l: [1, 'a', [null]], m: { k: { deep: 'v' } }, e: [] };
  const wire = marshallItem(item);
  assert.deepEqual(wire.n, { N: '-1.5' });
  assert.deepEqual(wire.nul, { NULL: true });
  assert.deepEqual(wire.m, { M: { k: { M: { deep: { S: 'v' } } } } });
  assert.deepEqual(unmarshallItem(wire), item);
  assert.deepEqual(unmarshallItem({ ss: { SS: ['a'] }, ns: { NS: ['1', '2'] } }), { ss: ['a'], ns: [1, 2] });
});

describe('UpdateUserCounters plan', () => {
  test('500 follows of one user in a batch are ONE update of +500 on seguidores; parts fit a transaction', async () => {
    const f = await openSocialFixture();
    try {
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
    } finally {
      await f.close();
    }
  });

  test('MODIFY of an edge, and a follow undone in the same batch, change nothing', async () => {
    const f = await openSocialFixture();
    try {
      const [a, b] = await f.users(2);
      const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
      assert.deepEqual(await fn.plan({ Records: [record('MODIFY', a, b)] }), []);
      assert.deepEqual(await fn.plan({ Records: [record('INSERT', a, b), record('REMOVE', a, b)] }), []);
      // Items of other shapes and self-edges are not edges.
      const other: DynamoDBStreamRecord = { ...record('INSERT', a, b), dynamodb: { ...record('INSERT', a, b).dynamodb } };
      other.dynamodb.Keys = marshallItem({ followerId: a, SK: 'PROFILE' });
      other.dynamodb.NewImage = marshallItem({ followerId: a, SK: 'PROFILE' });
      assert.deepEqual(await fn.plan({ Records: [other, record('INSERT', a, a)] }), []);
    } finally {
      await f.close();
    }
  });

  test('counters never go negative, and a user without a profile is not resurrected', async () => {
    const f = await openSocialFixture();
    try {
      const [a, b] = await f.users(2);
      const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
      // A REMOVE with counters already at 0 (drift): clamped to 0, not -1.
      const r = await fn.handler({ Records: [record('REMOVE', a, b), record('INSERT', a, 'ghost')] });
      assert.deepEqual(r, { batchItemFailures: [] });
      assert.deepEqual(await counters(f, a), { seguidores: 0, siguiendo: 0 });
      assert.deepEqual(await counters(f, b), { seguidores: 0, siguiendo: 0 });
      assert.equal(await f.tables.get(f.names.users, { userId: 'ghost' }), undefined);
    } finally {
      await f.close();
    }
  });
});

describe('exactly-once effect', () => {
  test('replaying the same stream batch changes nothing the second time (consumer ledger and Lambda ledger)', async () => {
    const f = await openSocialFixture();
    try {
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
    } finally {
      await f.close();
    }
  });

  test('a crash between the parts of a big batch resumes at the next part after restart', async () => {
    const f = await openSocialFixture();
    try {
      const [celeb] = await f.users(1, 'celeb');
      const fans = await f.users(250, 'fan');
      for (const fan of fans) await f.social.follow(fan, celeb);
      let commits = 0;
      const crashing = f.consumer({
        batchSize: 1000,
        faultInjector: ({ phase }) => {
          if (phase === 'afterCommit' && ++commits === 2) throw new Error('killed');
        },
      });
      await assert.rejects(crashing.drain(), /killed/);
      const cp = await f.tables.get(f.names.system, checkpointKey(UPDATE_USER_COUNTERS, 'shard-0000'));
      assert.equal(cp?.partsDone, 2);
      await f.consumer({ batchSize: 1000 }).drain();
      assert.deepEqual(await counters(f, celeb), { seguidores: 250, siguiendo: 0 });
      assert.deepEqual(await doctorCounters({ tables: f.tables, tableNames: f.names }), { users: 251, drift: [], fixed: 0, unstable: [] });
    } finally {
      await f.close();
    }
  });
});

describe('runtimes', () => {
  test('the Lambda entry resumes a half-applied multi-part batch on redelivery', async () => {
    const f = await openSocialFixture();
    try {
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
      await assert.rejects(crashing.handler(event), /timeout/);
      const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
      assert.deepEqual(await fn.handler(event), { batchItemFailures: [] });
      assert.deepEqual(await fn.handler(event), { batchItemFailures: [] });
      assert.deepEqual(await counters(f, celeb), { seguidores: 250, siguiendo: 0 });
      assert.deepEqual(await counters(f, fans[249]), { seguidores: 0, siguiendo: 1 });
      const ledger = await f.tables.get(f.names.system, { pk: `LEDGER#${UPDATE_USER_COUNTERS}`, sk: event.Records[0].eventID });
      assert.equal(ledger?.sequenceNumber, event.Records.at(-1)!.dynamodb.SequenceNumber);
      assert.equal(typeof ledger?.expiresAt, 'number');
    } finally {
      await f.close();
    }
  });

  test('the embedded consumer, started in the background, applies follows until stopped', async () => {
    const f = await openSocialFixture();
    try {
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
    } finally {
      await f.close();
    }
  });
});

describe('counter property', () => {
  test('random concurrent follows/unfollows, consumer killed and restarted, batches replayed: zero drift', async () => {
    const f = await openSocialFixture();
    try {
      const random = prng(20260101);
      const users = await f.users(30);
      const OPS = 3000;
      const WORKERS = 8;
      let issued = 0;
      let kills = 0;
      let replays = 0;
      let writing = true;

      // Writers: each op picks two users and follows or unfollows, some retried twice. Each op
      // starts from the event loop, as a request would (so the consumer's turns interleave).
      const writer = async () => {
        while (issued < OPS) {
          issued++;
          await new Promise((r) => setImmediate(r));
          const a = users[Math.floor(random() * users.length)];
          const b = users[Math.floor(random() * users.length)];
          if (a === b) continue;
          const times = random() < 0.1 ? 2 : 1;
          for (let t = 0; t < times; t++) {
            if (random() < 0.6) await f.social.follow(a, b);
            else await f.social.unfollow(a, b);
          }
        }
      };

      // The counters function, killed at random points (before or right after a commit) and
      // restarted as a fresh consumer; sometimes a stale batch is replayed through the Lambda entry.
      const fn = createUpdateUserCounters({ tables: f.tables, tableNames: f.names });
      const runner = async () => {
        while (writing) {
          const consumer = f.consumer({
            tables: yielding(f.tables),
            batchSize: 1 + Math.floor(random() * 150),
            faultInjector: () => {
              if (random() < 0.15) throw new Error('killed');
            },
          });
          try {
            await consumer.drain();
          } catch {
            kills++;
          }
          if (random() < 0.2) {
            const ledger = { table: f.names.system, key: checkpointKey(UPDATE_USER_COUNTERS, 'shard-0000') };
            const applied = readLedger(await f.tables.get(ledger.table, ledger.key)).sequenceNumber;
            const { records } = await f.tables.changes.read({ table: f.names.social, shardId: 'shard-0000', limit: 20 });
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
      await f.consumer().drain();

      assert.ok(kills > 0 && replays > 0, 'the consumer was killed and batches replayed');
      const report = await recount({ tables: f.tables, tableNames: f.names });
      assert.deepEqual(report.drift, []);
      assert.equal(report.users, users.length);
      const doctor = await doctorCounters({ tables: f.tables, tableNames: f.names });
      assert.deepEqual(doctor, { users: users.length, drift: [], fixed: 0, unstable: [] });
      // And the counters are not trivially zero.
      const total = (await Promise.all(users.map((u) => counters(f, u)))).reduce((s, c) => s + Number(c.seguidores), 0);
      assert.ok(total > 0);
    } finally {
      await f.close();
    }
  });
});

describe('doctor counters', () => {
  test('reports every corrupted counter, repairs it with --fix, and does not mistake unapplied follows for drift', async () => {
    const f = await openSocialFixture();
    try {
      const random = prng(7);
      const users = await f.users(100);
      for (let i = 0; i < 400; i++) {
        const a = users[Math.floor(random() * users.length)];
        const b = users[Math.floor(random() * users.length)];
        if (a !== b) await f.social.follow(a, b);
      }
      await f.consumer().drain();
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
      await f.consumer().drain();
      assert.deepEqual((await doctorCounters({ tables: f.tables, tableNames: f.names })).drift, []);
      assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
    } finally {
      await f.close();
    }
  });

  test('a repair running concurrently with follows and the consumer loses nothing', async () => {
    const f = await openSocialFixture();
    try {
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
      await f.consumer().drain();
      assert.ok(fixed > 0);
      // Every repair was conditional on the value it read: none clobbered a concurrent counter
      // update, so whatever a pass judged stays right; only users it could not judge may drift.
      const drift = (await recount({ tables: f.tables, tableNames: f.names })).drift;
      for (const d of drift) assert.ok(last.unstable.includes(d.userId), `unexpected drift ${JSON.stringify(d)}`);
      for (const userId of users) {
        const c = await counters(f, userId);
        assert.ok(Number(c.seguidores) >= 0 && Number(c.siguiendo) >= 0);
      }
    } finally {
      await f.close();
    }
  });
});
