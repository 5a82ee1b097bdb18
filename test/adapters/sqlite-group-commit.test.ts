import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../src/adapters/sqlite/group-commit.ts';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import {
  ConditionalCheckFailedError,
  TransactionCanceledError,
  type TableDefinition,
  type Tables,
} from '../../src/ports/tables.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  dirs.push(dir);
  return join(dir, 'tables.sqlite');
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const items: TableDefinition = {
  id: 'items',
  name: 'gc-items',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [{ name: 'GSI1', partitionKey: { name: 'gpk', type: 'S' } }],
  stream: true,
};

async function open(path = tempFile()): Promise<Tables> {
  const tables = openSqliteTables({ path, synchronous: 'NORMAL' });
  await tables.ensure([items]);
  return tables;
}

const T = items.name;
const isConditionFailed = (e: unknown) => e instanceof ConditionalCheckFailedError;
const changeKeys = async (tables: Tables) =>
  (await tables.changes.read({ table: T, shardId: 'shard-0000' })).records.map((r) => `${r.eventName}:${r.keys.sk}`);

describe('SQLite group commit: adapter semantics', () => {
  test('many concurrent conditional puts on one key: exactly one wins, the others fail their condition', async () => {
    const tables = await open();
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        tables.put({ table: T, item: { pk: 'race', sk: 'k', by: i }, condition: { notExists: 'pk' } }),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || isConditionFailed(r.reason)));
    assert.deepEqual(await tables.get(T, { pk: 'race', sk: 'k' }), { pk: 'race', sk: 'k', by: won[0] });
    assert.deepEqual(await changeKeys(tables), ['INSERT:k']);
    await tables.close();
  });

  test('one write failing its condition leaves the others of its batch applied', async () => {
    const tables = await open();
    await tables.put({ table: T, item: { pk: 'p', sk: 'taken' } });
    const results = await Promise.allSettled([
      tables.put({ table: T, item: { pk: 'p', sk: 'a', gpk: 'g' } }),
      tables.put({ table: T, item: { pk: 'p', sk: 'taken', v: 2 }, condition: { notExists: 'pk' } }),
      tables.update({ table: T, key: { pk: 'p', sk: 'b' }, add: { n: 1 }, condition: { attr: 'n', op: '>', value: 5 } }),
      tables.delete({ table: T, key: { pk: 'p', sk: 'a' }, condition: { attr: 'gpk', op: '=', value: 'g' } }),
      tables.update({ table: T, key: { pk: 'p', sk: 'c' }, set: { gpk: 'g' } }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    assert.ok(isConditionFailed((results[1] as PromiseRejectedResult).reason));
    assert.ok(isConditionFailed((results[2] as PromiseRejectedResult).reason));
    // The delete ran after the put of its batch and saw it (FIFO, each write sees the earlier ones).
    assert.deepEqual((results[3] as PromiseFulfilledResult<unknown>).value, { pk: 'p', sk: 'a', gpk: 'g' });
    const page = await tables.query({ table: T, partition: 'p' });
    assert.deepEqual(page.items, [{ pk: 'p', sk: 'c', gpk: 'g' }, { pk: 'p', sk: 'taken' }]);
    assert.deepEqual((await tables.query({ table: T, index: 'GSI1', partition: 'g' })).items, [{ pk: 'p', sk: 'c', gpk: 'g' }]);
    assert.deepEqual(await changeKeys(tables), ['INSERT:taken', 'INSERT:a', 'REMOVE:a', 'INSERT:c']);
    await tables.close();
  });

  test('a transactWrite failing inside a batch is rolled back wholly while its neighbours commit', async () => {
    const path = tempFile();
    const tables = await open(path);
    // A real SQLite error in the middle of the transaction's writes (after its first put was applied).
    const raw = new Database(path);
    raw.exec(`CREATE TRIGGER gc_boom BEFORE INSERT ON items WHEN NEW.data LIKE '%"boom"%' BEGIN SELECT RAISE(ABORT, 'boom'); END`);
    raw.close();
    const results = await Promise.allSettled([
      tables.put({ table: T, item: { pk: 't', sk: 'before' } }),
      tables.transactWrite([
        { put: { table: T, item: { pk: 't', sk: 'x1', gpk: 'tx' } } },
        { put: { table: T, item: { pk: 't', sk: 'x2', v: 'boom' } } },
      ]),
      tables.transactWrite([
        { put: { table: T, item: { pk: 't', sk: 'y1' } } },
        { conditionCheck: { table: T, key: { pk: 't', sk: 'before' }, condition: { notExists: 'pk' } } },
      ]),
      tables.transactWrite([
        { put: { table: T, item: { pk: 't', sk: 'z1' } } },
        { update: { table: T, key: { pk: 't', sk: 'z2' }, add: { n: 1 } } },
      ]),
      tables.put({ table: T, item: { pk: 't', sk: 'after' } }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /boom/);
    const cancelled = (results[2] as PromiseRejectedResult).reason;
    assert.ok(cancelled instanceof TransactionCanceledError);
    assert.deepEqual(cancelled.reasons, ['None', 'ConditionalCheckFailed']);
    const page = await tables.query({ table: T, partition: 't' });
    assert.deepEqual(page.items.map((i) => i.sk), ['after', 'before', 'z1', 'z2']);
    assert.deepEqual((await tables.query({ table: T, index: 'GSI1', partition: 'tx' })).items, []);
    assert.deepEqual(await changeKeys(tables), ['INSERT:before', 'INSERT:z1', 'INSERT:z2', 'INSERT:after']);
    await tables.close();
  });

  test('a write is visible to reads once its promise resolved; queued writes apply in order', async () => {
    const tables = await open();
    const key = { pk: 'v', sk: 'k' };
    const first = tables.put({ table: T, item: { ...key, v: 1 } });
    const second = tables.update({ table: T, key, set: { v: 2 }, add: { n: 1 } });
    // Reads see committed data only: nothing is committed before the batch runs.
    assert.equal(await tables.get(T, key), undefined);
    await first;
    assert.equal((await tables.get(T, key))?.v, 2, 'both writes went into the same commit');
    assert.deepEqual(await second, { ...key, v: 2, n: 1 });
    for (let i = 0; i < 20; i++) {
      await tables.update({ table: T, key, add: { n: 1 } });
      assert.equal((await tables.get(T, key))?.n, i + 2);
      assert.equal((await tables.batchGet(T, [key]))[0].n, i + 2);
    }
    await tables.close();
  });

  test('queued requests are private copies: changing the caller\'s objects afterwards changes nothing', async () => {
    const tables = await open();
    const item = { pk: 'c', sk: 'k', gpk: 'g1', v: 1 };
    const condition = { notExists: 'pk' };
    const set = { gpk: 'g2' };
    const put = tables.put({ table: T, item, condition });
    const update = tables.update({ table: T, key: { pk: 'c', sk: 'k' }, set });
    item.gpk = 'changed';
    (condition as { notExists: string }).notExists = 'gpk';
    set.gpk = 'changed';
    await Promise.all([put, update]);
    assert.deepEqual(await tables.get(T, { pk: 'c', sk: 'k' }), { pk: 'c', sk: 'k', gpk: 'g2', v: 1 });
    assert.equal((await tables.query({ table: T, index: 'GSI1', partition: 'g2' })).items.length, 1);
    await tables.close();
  });

  test('hot item: callers that back off before retrying are not starved by callers that retry at once', async (t) => {
    // The domain's optimistic loop (chat seq): read, conditional write, retry at once twice, then
    // with a random sleep. Each batch has one winner; the losers' late notice keeps it fair.
    // FULL: slow commits let retries pile up, as on the server.
    const tables = openSqliteTables({ path: tempFile(), synchronous: 'FULL' });
    await tables.ensure([items]);
    const key = { pk: 'hot', sk: 'state' };
    const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
    let next = 0;
    let worst = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 400) {
          next++;
          await new Promise((ok) => setImmediate(ok)); // a request's round trip
          for (let attempt = 1; ; attempt++) {
            assert.ok(attempt <= 200, 'a caller was starved');
            if (attempt > 3) await sleep(Math.random() * Math.min(attempt, 10));
            const seq = ((await tables.get(T, key))?.seq as number | undefined) ?? 0;
            try {
              await tables.transactWrite([
                { put: { table: T, item: { pk: 'hot', sk: `m${seq + 1}` }, condition: { notExists: 'pk' } } },
                { update: { table: T, key, set: { seq: seq + 1 }, condition: seq ? { attr: 'seq', op: '=', value: seq } : { notExists: 'seq' } } },
              ]);
              worst = Math.max(worst, attempt);
              break;
            } catch (err) {
              if (!(err instanceof TransactionCanceledError)) throw err;
            }
          }
        }
      }),
    );
    assert.equal((await tables.get(T, key))?.seq, next);
    t.diagnostic(`worst caller needed ${worst} attempts`);
    assert.ok(worst < 120, `worst caller needed ${worst} attempts`);
    await tables.close();
  });

  test('ensure and close commit the writes queued before them; writes after close are refused', async () => {
    const path = tempFile();
    let tables = await open(path);
    const put = tables.put({ table: T, item: { pk: 'e', sk: 'k', tag: 't' } });
    await tables.ensure([{ ...items, indexes: [{ name: 'by-tag', partitionKey: { name: 'tag', type: 'S' } }] }]);
    await put;
    assert.equal((await tables.query({ table: T, index: 'by-tag', partition: 't' })).items.length, 1);
    const pending = tables.put({ table: T, item: { pk: 'e', sk: 'closing' } });
    await tables.close();
    await pending;
    await assert.rejects(tables.put({ table: T, item: { pk: 'e', sk: 'late' } }), /not open/);
    tables = openSqliteTables({ path });
    assert.ok(await tables.get(T, { pk: 'e', sk: 'closing' }));
    await tables.close();
  });
});

describe('SQLite group commit: the batch machinery on a raw connection', () => {
  function rawDb(): Database.Database {
    const db = new Database(tempFile());
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)');
    return db;
  }

  test('batches keep FIFO order and respect the op cap and the byte budget', async () => {
    const db = rawDb();
    const path = db.name;
    const reader = new Database(path, { readonly: true });
    let bytes = 0;
    const make = (maxOps: number, maxBytes: number) =>
      new GroupCommit(db, { enabled: true, maxOps, maxBytes, bytesWritten: () => bytes });
    const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
    const committed = reader.prepare('SELECT count(*) FROM t').pluck();
    // Each write notes how many rows were committed before its batch: one distinct count per batch.
    const run = async (commits: GroupCommit, from: number, count: number, cost: number) => {
      const order: number[] = [];
      const seen = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          commits.run(() => {
            order.push(from + i);
            insert.run(from + i);
            bytes += cost;
            return committed.get() as number;
          }),
        ),
      );
      assert.deepEqual(order, Array.from({ length: count }, (_, i) => from + i));
      return [...new Set(seen)].map((c) => seen.filter((s) => s === c).length);
    };
    assert.deepEqual(await run(make(256, 1e9), 0, 600, 1), [256, 256, 88]);
    assert.deepEqual(await run(make(256, 1000), 1000, 10, 400), [3, 3, 3, 1]);
    reader.close();
    db.close();
  });

  test('a failing COMMIT rejects every write of the batch and stores none of it', async () => {
    const db = rawDb();
    db.pragma('foreign_keys = ON');
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY)');
    db.exec('CREATE TABLE child (pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    const commits = new GroupCommit(db, { enabled: true, maxOps: 256, maxBytes: 1e9, bytesWritten: () => 0 });
    const ok = (id: number) => () => db.prepare('INSERT INTO t (id) VALUES (?)').run(id).changes;
    const results = await Promise.allSettled([
      commits.run(ok(1)),
      commits.run(() => db.prepare('INSERT INTO child (pid) VALUES (42)').run().changes), // checked at COMMIT
      commits.run(() => {
        throw new Error('own failure');
      }),
      commits.run(ok(2)),
    ]);
    assert.ok(results.every((r) => r.status === 'rejected' && /FOREIGN KEY/.test(String(r.reason))));
    assert.equal(db.inTransaction, false);
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 0);
    // The next batch starts clean.
    assert.equal(await commits.run(ok(3)), 1);
    assert.deepEqual(db.prepare('SELECT id FROM t').pluck().all(), [3]);
    db.close();
  });

  test('writes that fail for SQLite reasons (disk full) never leave an acknowledged write missing', async () => {
    const db = rawDb();
    const commits = new GroupCommit(db, { enabled: true, maxOps: 256, maxBytes: 1e9, bytesWritten: () => 0 });
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 4}`);
    const insert = db.prepare('INSERT INTO t (id, note) VALUES (?, ?)');
    const sizes = [10, 10, 100_000, 10, 10];
    const results = await Promise.allSettled(sizes.map((size, id) => commits.run(() => insert.run(id, 'x'.repeat(size)))));
    assert.equal(results[2].status, 'rejected');
    assert.match(String((results[2] as PromiseRejectedResult).reason), /full/i);
    // SQLite may undo the one statement or the whole transaction; either way, stored = acknowledged.
    const stored = db.prepare('SELECT id FROM t ORDER BY id').pluck().all();
    assert.deepEqual(stored, results.flatMap((r, id) => (r.status === 'fulfilled' ? [id] : [])));
    assert.equal(db.inTransaction, false);
    db.close();
  });
});
