/**
 * The Tables port conformance suite: DynamoDB semantics every adapter must show (SQLite embedded,
 * DynamoDB / DynamoDB Local). Uses only the port, random table names, and one partition per test, so
 * it can run against a shared DynamoDB Local. `factory` opens a fresh Tables; `cleanup` closes it and
 * removes whatever the factory created.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConditionalCheckFailedError,
  TableValidationError,
  TransactionCanceledError,
  type ChangeRecord,
  type Condition,
  type Item,
  type QueryRequest,
  type Tables,
} from '../../src/ports/tables.ts';
import { conformanceTables, eventually, inChunks, readAllChanges, readShard, uid, type ShardRecord } from '../support/tables-fixtures.ts';

export interface TablesUnderTest {
  tables: Tables;
  cleanup(): Promise<void>;
}

const isValidation = (err: unknown) => err instanceof TableValidationError;
const isConditionFailed = (err: unknown) => err instanceof ConditionalCheckFailedError;

/** UTF-8 byte order, DynamoDB's order for S keys. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function runTablesConformance(name: string, factory: () => Promise<TablesUnderTest>): void {
  describe(`Tables conformance: ${name}`, () => {
    const { names, definitions } = conformanceTables();
    const T = names;
    let under: TablesUnderTest;
    let db: Tables;

    before(async () => {
      under = await factory();
      db = under.tables;
      await db.ensure(definitions);
    });
    after(async () => {
      await under?.cleanup();
    });

    /** Walks every page of a query; returns the items in page order and the page sizes. */
    async function walk(req: QueryRequest): Promise<{ items: Item[]; pages: number[] }> {
      const items: Item[] = [];
      const pages: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await db.query({ ...req, cursor });
        items.push(...page.items);
        pages.push(page.items.length);
        cursor = page.cursor;
        assert.ok(pages.length < 1000, 'query pages never end');
      } while (cursor);
      return { items, pages };
    }

    async function putSorted(pk: string, sks: string[], extra: (sk: string, i: number) => Item = () => ({})) {
      await inChunks(sks.map((sk, i) => ({ sk, i })), 25, ({ sk, i }) => db.put({ table: T.sorted, item: { pk, sk, ...extra(sk, i) } }));
    }

    describe('ensure, get, put, delete', () => {
      test('ensure is idempotent and keeps data', async () => {
        const id = uid();
        await db.put({ table: T.simple, item: { id, v: 1 } });
        await db.ensure(definitions);
        assert.deepEqual(await db.get(T.simple, { id }), { id, v: 1 });
      });

      test('put then get returns every attribute type unchanged', async () => {
        const item: Item = {
          id: uid(),
          s: 'text é 😀',
          empty: '',
          int: 42,
          neg: -7,
          float: 3.25,
          zero: 0,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', [3], { four: 4 }, null],
          map: { a: { b: { c: 'deep' } }, n: 1 },
          emptyList: [],
          emptyMap: {},
        };
        await db.put({ table: T.simple, item });
        assert.deepEqual(await db.get(T.simple, { id: item.id as string }), item);
        assert.deepEqual(await db.get(T.simple, { id: item.id as string }, { consistent: true }), item);
      });

      test('get of a missing item is undefined', async () => {
        assert.equal(await db.get(T.simple, { id: uid() }), undefined);
        assert.equal(await db.get(T.sorted, { pk: uid(), sk: 'x' }), undefined);
      });

      test('put replaces the whole item', async () => {
        const id = uid();
        await db.put({ table: T.simple, item: { id, a: 1, b: 2 } });
        await db.put({ table: T.simple, item: { id, c: 3 } });
        assert.deepEqual(await db.get(T.simple, { id }), { id, c: 3 });
      });

      test('conditional put: written when the condition holds, ConditionalCheckFailedError and nothing written otherwise', async () => {
        const id = uid();
        await db.put({ table: T.simple, item: { id, v: 1 }, condition: { notExists: 'id' } });
        await assert.rejects(db.put({ table: T.simple, item: { id, v: 2 }, condition: { notExists: 'id' } }), isConditionFailed);
        assert.deepEqual(await db.get(T.simple, { id }), { id, v: 1 });
        await db.put({ table: T.simple, item: { id, v: 3 }, condition: { attr: 'v', op: '=', value: 1 } });
        assert.deepEqual(await db.get(T.simple, { id }), { id, v: 3 });
        const other = uid();
        await assert.rejects(db.put({ table: T.simple, item: { id: other }, condition: { exists: 'id' } }), isConditionFailed);
        assert.equal(await db.get(T.simple, { id: other }), undefined);
      });

      test('delete returns the old item; deleting a missing item returns undefined', async () => {
        const pk = uid();
        await db.put({ table: T.sorted, item: { pk, sk: 'a', v: 1 } });
        assert.deepEqual(await db.delete({ table: T.sorted, key: { pk, sk: 'a' } }), { pk, sk: 'a', v: 1 });
        assert.equal(await db.get(T.sorted, { pk, sk: 'a' }), undefined);
        assert.equal(await db.delete({ table: T.sorted, key: { pk, sk: 'a' } }), undefined);
      });

      test('conditional delete', async () => {
        const id = uid();
        await db.put({ table: T.simple, item: { id, state: 'open' } });
        await assert.rejects(db.delete({ table: T.simple, key: { id }, condition: { attr: 'state', op: '=', value: 'closed' } }), isConditionFailed);
        assert.deepEqual(await db.get(T.simple, { id }), { id, state: 'open' });
        await db.delete({ table: T.simple, key: { id }, condition: { attr: 'state', op: '=', value: 'open' } });
        assert.equal(await db.get(T.simple, { id }), undefined);
        await assert.rejects(db.delete({ table: T.simple, key: { id }, condition: { exists: 'id' } }), isConditionFailed);
      });

      test('number sort keys address items exactly', async () => {
        const pk = uid();
        for (const n of [1, 1.5, -3, 0]) await db.put({ table: T.numbered, item: { pk, n, label: `n${n}` } });
        assert.deepEqual(await db.get(T.numbered, { pk, n: 1.5 }), { pk, n: 1.5, label: 'n1.5' });
        assert.deepEqual(await db.get(T.numbered, { pk, n: -3 }), { pk, n: -3, label: 'n-3' });
        assert.equal(await db.get(T.numbered, { pk, n: 2 }), undefined);
      });
    });

    describe('conditions', () => {
      const item: Item = { s: 'abc', n: 5, b: true, z: null, l: [1, 2], m: { a: 1 }, u: '\uE000' };
      const cases: [string, Condition, boolean][] = [
        ['exists', { exists: 's' }, true],
        ['exists on null attribute', { exists: 'z' }, true],
        ['exists missing', { exists: 'nope' }, false],
        ['notExists missing', { notExists: 'nope' }, true],
        ['notExists present', { notExists: 's' }, false],
        ['= number', { attr: 'n', op: '=', value: 5 }, true],
        ['= other number', { attr: 'n', op: '=', value: 6 }, false],
        ['= other type', { attr: 'n', op: '=', value: '5' }, false],
        ['= missing', { attr: 'nope', op: '=', value: 5 }, false],
        ['<> number', { attr: 'n', op: '<>', value: 6 }, true],
        ['<> same', { attr: 'n', op: '<>', value: 5 }, false],
        ['<> missing', { attr: 'nope', op: '<>', value: 5 }, true],
        ['<> other type', { attr: 'n', op: '<>', value: '5' }, true],
        ['< number', { attr: 'n', op: '<', value: 6 }, true],
        ['<= number', { attr: 'n', op: '<=', value: 5 }, true],
        ['> number', { attr: 'n', op: '>', value: 5 }, false],
        ['>= number', { attr: 'n', op: '>=', value: 5 }, true],
        ['< missing', { attr: 'nope', op: '<', value: 5 }, false],
        ['< other type', { attr: 's', op: '<', value: 5 }, false],
        ['< string', { attr: 's', op: '<', value: 'abd' }, true],
        ['> string', { attr: 's', op: '>', value: 'ab' }, true],
        ['strings compare by UTF-8 bytes', { attr: 'u', op: '<', value: '😀' }, true],
        ['beginsWith', { attr: 's', beginsWith: 'ab' }, true],
        ['beginsWith other prefix', { attr: 's', beginsWith: 'b' }, false],
        ['beginsWith on a number', { attr: 'n', beginsWith: '5' }, false],
        ['beginsWith missing', { attr: 'nope', beginsWith: 'a' }, false],
        ['= boolean', { attr: 'b', op: '=', value: true }, true],
        ['= null', { attr: 'z', op: '=', value: null }, true],
        ['= list', { attr: 'l', op: '=', value: [1, 2] }, true],
        ['= list other order', { attr: 'l', op: '=', value: [2, 1] }, false],
        ['= map', { attr: 'm', op: '=', value: { a: 1 } }, true],
        ['and true', { and: [{ exists: 's' }, { attr: 'n', op: '=', value: 5 }] }, true],
        ['and false', { and: [{ exists: 's' }, { exists: 'nope' }] }, false],
        ['or true', { or: [{ exists: 'nope' }, { exists: 's' }] }, true],
        ['or false', { or: [{ exists: 'nope' }, { attr: 'n', op: '>', value: 9 }] }, false],
        ['not', { not: { exists: 'nope' } }, true],
        ['not true', { not: { exists: 's' } }, false],
        ['nested', { and: [{ or: [{ exists: 'x' }, { not: { attr: 'n', op: '<', value: 1 } }] }, { attr: 's', beginsWith: 'a' }] }, true],
      ];
      test('each condition form evaluates with DynamoDB semantics', async () => {
        for (const [label, condition, expected] of cases) {
          const id = uid();
          await db.put({ table: T.simple, item: { id, ...item } });
          const attempt = db.put({ table: T.simple, item: { id, ...item, written: true }, condition });
          if (expected) await attempt;
          else await assert.rejects(attempt, isConditionFailed, label);
          const stored = await db.get(T.simple, { id });
          assert.equal(stored?.written, expected ? true : undefined, label);
        }
      });
    });

    describe('update', () => {
      test('upsert creates the item from key and actions and returns it', async () => {
        const id = uid();
        const out = await db.update({ table: T.simple, key: { id }, set: { name: 'x' }, add: { count: 2 }, setIfNotExists: { since: 1 } });
        assert.deepEqual(out, { id, name: 'x', count: 2, since: 1 });
        assert.deepEqual(await db.get(T.simple, { id }), out);
      });

      test('SET, setIfNotExists, ADD and REMOVE on an existing item', async () => {
        const id = uid();
        await db.put({ table: T.simple, item: { id, a: 1, keep: 'old', gone: true, n: 10, list: [1] } });
        const out = await db.update({
          table: T.simple,
          key: { id },
          set: { a: { nested: [1, 2] }, list: [1, 2] },
          setIfNotExists: { keep: 'new', fresh: 'yes' },
          add: { n: -2.5, made: 3 },
          remove: ['gone', 'absent'],
        });
        const expected = { id, a: { nested: [1, 2] }, keep: 'old', fresh: 'yes', n: 7.5, made: 3, list: [1, 2] };
        assert.deepEqual(out, expected);
        assert.deepEqual(await db.get(T.simple, { id }), expected);
      });

      test('a failed condition throws and changes nothing (nor creates the item)', async () => {
        const id = uid();
        await db.put({ table: T.simple, item: { id, v: 1 } });
        await assert.rejects(db.update({ table: T.simple, key: { id }, set: { v: 2 }, condition: { attr: 'v', op: '=', value: 9 } }), isConditionFailed);
        assert.deepEqual(await db.get(T.simple, { id }), { id, v: 1 });
        const missing = uid();
        await assert.rejects(db.update({ table: T.simple, key: { id: missing }, add: { n: 1 }, condition: { exists: 'id' } }), isConditionFailed);
        assert.equal(await db.get(T.simple, { id: missing }), undefined);
        const out = await db.update({ table: T.simple, key: { id }, add: { v: 1 }, condition: { attr: 'v', op: '<', value: 5 } });
        assert.equal(out.v, 2);
      });

      test('key attributes cannot be updated; ADD needs a number; one attribute per action', async () => {
        const pk = uid();
        await db.put({ table: T.sorted, item: { pk, sk: 'a', s: 'text' } });
        await assert.rejects(db.update({ table: T.sorted, key: { pk, sk: 'a' }, set: { sk: 'b' } }), isValidation);
        await assert.rejects(db.update({ table: T.sorted, key: { pk, sk: 'a' }, remove: ['pk'] }), isValidation);
        await assert.rejects(db.update({ table: T.sorted, key: { pk, sk: 'a' }, add: { s: 1 } }), isValidation);
        await assert.rejects(db.update({ table: T.sorted, key: { pk, sk: 'a' }, set: { x: 1 }, remove: ['x'] }), isValidation);
        assert.deepEqual(await db.get(T.sorted, { pk, sk: 'a' }), { pk, sk: 'a', s: 'text' });
      });

      test('50 concurrent ADDs are all counted', async () => {
        const id = uid();
        await Promise.all(Array.from({ length: 50 }, () => db.update({ table: T.simple, key: { id }, add: { count: 1 } })));
        assert.equal((await db.get(T.simple, { id }))?.count, 50);
      });
    });

    describe('query', () => {
      const sks = ['a', 'b', 'ba', 'bb', 'c', 'd'];
      const keysOf = (items: Item[], attr = 'sk') => items.map((i) => i[attr]);

      test('whole partition in both directions; empty partition', async () => {
        const pk = uid();
        await putSorted(pk, [...sks].reverse());
        assert.deepEqual(keysOf((await db.query({ table: T.sorted, partition: pk })).items), sks);
        assert.deepEqual(keysOf((await db.query({ table: T.sorted, partition: pk, forward: false })).items), [...sks].reverse());
        const none = await db.query({ table: T.sorted, partition: uid() });
        assert.deepEqual(none.items, []);
        assert.equal(none.cursor, undefined);
      });

      test('each sort-key condition, forward and backward', async () => {
        const pk = uid();
        await putSorted(pk, sks);
        const cases: [QueryRequest['sort'], string[]][] = [
          [{ op: '=', value: 'b' }, ['b']],
          [{ op: '<', value: 'b' }, ['a']],
          [{ op: '<=', value: 'b' }, ['a', 'b']],
          [{ op: '>', value: 'bb' }, ['c', 'd']],
          [{ op: '>=', value: 'bb' }, ['bb', 'c', 'd']],
          [{ op: 'beginsWith', value: 'b' }, ['b', 'ba', 'bb']],
          [{ op: 'between', value: 'b', to: 'c' }, ['b', 'ba', 'bb', 'c']],
          [{ op: '=', value: 'zz' }, []],
        ];
        for (const [sort, expected] of cases) {
          const fwd = await db.query({ table: T.sorted, partition: pk, sort });
          assert.deepEqual(keysOf(fwd.items), expected, JSON.stringify(sort));
          const back = await db.query({ table: T.sorted, partition: pk, sort, forward: false });
          assert.deepEqual(keysOf(back.items), [...expected].reverse(), JSON.stringify(sort));
        }
      });

      test('number sort keys order numerically', async () => {
        const pk = uid();
        const ns = [100, 2, -5, 10, 1, 20, 2.5];
        for (const n of ns) await db.put({ table: T.numbered, item: { pk, n } });
        const sorted = [...ns].sort((a, b) => a - b);
        assert.deepEqual(keysOf((await db.query({ table: T.numbered, partition: pk })).items, 'n'), sorted);
        const between = await db.query({ table: T.numbered, partition: pk, sort: { op: 'between', value: 2, to: 20 }, forward: false });
        assert.deepEqual(keysOf(between.items, 'n'), [20, 10, 2.5, 2]);
        assert.deepEqual(keysOf((await db.query({ table: T.numbered, partition: pk, sort: { op: '<', value: 2 } })).items, 'n'), [-5, 1]);
      });

      test('string sort keys order by UTF-8 bytes', async () => {
        const pk = uid();
        const values = ['a', 'B', 'é', '\uE000', '😀', 'z', 'Z', 'éa', 'ab'];
        await putSorted(pk, values);
        const expected = [...values].sort(byUtf8);
        assert.deepEqual(keysOf((await db.query({ table: T.sorted, partition: pk })).items), expected);
        const prefixed = await db.query({ table: T.sorted, partition: pk, sort: { op: 'beginsWith', value: 'é' } });
        assert.deepEqual(keysOf(prefixed.items), ['é', 'éa']);
        const above = await db.query({ table: T.sorted, partition: pk, sort: { op: '>', value: '\uE000' } });
        assert.deepEqual(keysOf(above.items), ['😀']);
      });

      test('limit and cursor walk 250 items in pages of 7, each item exactly once, both directions', async () => {
        const pk = uid();
        const all = Array.from({ length: 250 }, (_, i) => `item#${String(i).padStart(4, '0')}`);
        await putSorted(pk, all);
        for (const forward of [true, false]) {
          const { items, pages } = await walk({ table: T.sorted, partition: pk, limit: 7, forward });
          assert.deepEqual(keysOf(items), forward ? all : [...all].reverse());
          assert.ok(pages.every((n) => n <= 7));
          assert.ok(pages.length >= 36);
        }
        const ranged = await walk({ table: T.sorted, partition: pk, limit: 3, sort: { op: 'between', value: 'item#0010', to: 'item#0020' } });
        assert.deepEqual(keysOf(ranged.items), all.slice(10, 21));
        const prefixed = await walk({ table: T.sorted, partition: pk, limit: 4, forward: false, sort: { op: 'beginsWith', value: 'item#02' } });
        assert.deepEqual(keysOf(prefixed.items), all.slice(200, 250).reverse());
      });

      test('filter applies after the key condition and limit (a page may be empty yet carry a cursor)', async () => {
        const pk = uid();
        await putSorted(pk, Array.from({ length: 10 }, (_, i) => `s${i}`), (_sk, i) => ({ v: i }));
        const filter: Condition = { attr: 'v', op: '>=', value: 6 };
        const first = await db.query({ table: T.sorted, partition: pk, limit: 4, filter });
        assert.deepEqual(first.items, []);
        assert.ok(first.cursor, 'a page that evaluated items carries a cursor');
        const { items } = await walk({ table: T.sorted, partition: pk, limit: 4, filter });
        assert.deepEqual(keysOf(items, 'v'), [6, 7, 8, 9]);
        const unlimited = await db.query({ table: T.sorted, partition: pk, filter: { attr: 'v', op: '<', value: 2 } });
        assert.deepEqual(keysOf(unlimited.items, 'v'), [0, 1]);
      });

      test('bad cursors and bad key conditions are TableValidationError', async () => {
        const pk = uid();
        await putSorted(pk, sks);
        await assert.rejects(db.query({ table: T.sorted, partition: pk, cursor: 'not a cursor!' }), isValidation);
        await assert.rejects(db.query({ table: T.sorted, partition: pk, cursor: 'eyJub3BlIjp0cnVlfQ' }), isValidation);
        const otherPk = uid();
        await db.put({ table: T.numbered, item: { pk: otherPk, n: 1 } });
        await db.put({ table: T.numbered, item: { pk: otherPk, n: 2 } });
        const foreign = await db.query({ table: T.numbered, partition: otherPk, limit: 1 });
        assert.ok(foreign.cursor);
        await assert.rejects(db.query({ table: T.sorted, partition: pk, cursor: foreign.cursor }), isValidation);
        await assert.rejects(db.query({ table: T.sorted, partition: 5 }), isValidation);
        await assert.rejects(db.query({ table: T.sorted, partition: pk, sort: { op: '=', value: 5 } }), isValidation);
        await assert.rejects(db.query({ table: T.numbered, partition: pk, sort: { op: 'beginsWith', value: '1' } }), isValidation);
        await assert.rejects(db.query({ table: T.simple, partition: pk, sort: { op: '=', value: 'a' } }), isValidation);
        await assert.rejects(db.query({ table: T.sorted, index: 'no-such-index', partition: pk }), isValidation);
      });
    });

    describe('index query', () => {
      test('sparse index in index-key order, following updates and deletes', async () => {
        const pk = uid();
        const g = uid('g');
        await db.put({ table: T.sorted, item: { pk, sk: '1', gpk: g, gsk: 'c' } });
        await db.put({ table: T.sorted, item: { pk, sk: '2', gpk: g, gsk: 'a' } });
        await db.put({ table: T.sorted, item: { pk, sk: '3', gpk: g } }); // no index sort key: not indexed
        await db.put({ table: T.sorted, item: { pk, sk: '4' } }); // no index keys: not indexed
        await db.put({ table: T.sorted, item: { pk, sk: '5', gpk: g, gsk: 'b' } });
        const q = (extra: Partial<QueryRequest> = {}) => db.query({ table: T.sorted, index: 'GSI1', partition: g, ...extra });
        assert.deepEqual((await q()).items.map((i) => i.sk), ['2', '5', '1']);
        assert.deepEqual((await q({ forward: false })).items.map((i) => i.sk), ['1', '5', '2']);
        assert.deepEqual((await q({ sort: { op: 'between', value: 'b', to: 'c' } })).items.map((i) => i.sk), ['5', '1']);
        assert.deepEqual((await q()).items[0], { pk, sk: '2', gpk: g, gsk: 'a' });
        await db.update({ table: T.sorted, key: { pk, sk: '2' }, set: { gsk: 'z' } });
        await db.update({ table: T.sorted, key: { pk, sk: '3' }, set: { gsk: 'b0' } });
        await db.update({ table: T.sorted, key: { pk, sk: '5' }, remove: ['gpk'] });
        await db.delete({ table: T.sorted, key: { pk, sk: '1' } });
        assert.deepEqual((await q()).items.map((i) => i.sk), ['3', '2']);
      });

      test('index pages with ties and cursors return each item exactly once', async () => {
        const pk = uid();
        const g = uid('g');
        const sks = Array.from({ length: 23 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        await putSorted(pk, sks, (_sk, i) => ({ gpk: g, gsk: `tie${i % 4}` }));
        for (const forward of [true, false]) {
          const { items } = await walk({ table: T.sorted, index: 'GSI1', partition: g, limit: 2, forward });
          assert.deepEqual(items.map((i) => i.sk).sort(), sks);
          const order = items.map((i) => i.gsk as string);
          assert.deepEqual(order, [...order].sort((a, b) => (forward ? byUtf8(a, b) : byUtf8(b, a))));
        }
        const tie = await walk({ table: T.sorted, index: 'GSI1', partition: g, limit: 2, sort: { op: '=', value: 'tie1' } });
        assert.deepEqual(tie.items.map((i) => i.sk).sort(), sks.filter((_, i) => i % 4 === 1));
      });

      test('number index sort keys and an index without sort key', async () => {
        const board = uid('b');
        const pk = uid();
        for (const [n, score] of [[1, 50], [2, 7], [3, 100], [4, -1]]) await db.put({ table: T.numbered, item: { pk, n, board, score } });
        const top = await db.query({ table: T.numbered, index: 'by-score', partition: board, forward: false, limit: 2 });
        assert.deepEqual(top.items.map((i) => i.score), [100, 50]);
        const low = await db.query({ table: T.numbered, index: 'by-score', partition: board, sort: { op: '<', value: 50 } });
        assert.deepEqual(low.items.map((i) => i.score), [-1, 7]);
        const group = uid('grp');
        const ids = [uid(), uid(), uid()];
        for (const id of ids) await db.put({ table: T.simple, item: { id, group } });
        await db.put({ table: T.simple, item: { id: uid(), group: uid('other') } });
        const members = await walk({ table: T.simple, index: 'by-group', partition: group, limit: 2 });
        assert.deepEqual(members.items.map((i) => i.id).sort(), [...ids].sort());
        await assert.rejects(db.query({ table: T.simple, index: 'by-group', partition: group, sort: { op: '=', value: 'x' } }), isValidation);
      });
    });

    describe('batchGet and scan', () => {
      test('batchGet returns the items that exist', async () => {
        const pk = uid();
        await putSorted(pk, ['a', 'b', 'c']);
        const got = await db.batchGet(T.sorted, [{ pk, sk: 'c' }, { pk, sk: 'missing' }, { pk, sk: 'a' }]);
        assert.deepEqual(got.map((i) => i.sk).sort(), ['a', 'c']);
        const tooMany = Array.from({ length: 101 }, (_, i) => ({ pk, sk: `k${i}` }));
        await assert.rejects(db.batchGet(T.sorted, tooMany), isValidation);
        await assert.rejects(db.batchGet(T.sorted, [{ pk, sk: 'a' }, { pk, sk: 'a' }]), isValidation);
      });

      test('scan pages through the whole table exactly once', async () => {
        const pks = [uid(), uid(), uid()];
        const keys = pks.flatMap((pk) => Array.from({ length: 8 }, (_, n) => ({ pk, n })));
        await inChunks(keys, 25, (k) => db.put({ table: T.scanned, item: { ...k, v: `${k.pk}/${k.n}` } }));
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await db.scan({ table: T.scanned, limit: 5, cursor });
          assert.ok(page.items.length <= 5);
          seen.push(...page.items.map((i) => i.v as string));
          cursor = page.cursor;
        } while (cursor);
        assert.deepEqual(seen.sort(), keys.map((k) => `${k.pk}/${k.n}`).sort());
        await assert.rejects(db.scan({ table: T.scanned, cursor: 'garbage!' }), isValidation);
      });
    });

    describe('transactWrite', () => {
      test('applies every operation, across tables', async () => {
        const pk = uid();
        const id = uid();
        await putSorted(pk, ['upd', 'del', 'chk']);
        await db.put({ table: T.sorted, item: { pk, sk: 'upd', n: 1 } });
        await db.transactWrite([
          { put: { table: T.sorted, item: { pk, sk: 'new', v: 1 }, condition: { notExists: 'pk' } } },
          { update: { table: T.sorted, key: { pk, sk: 'upd' }, add: { n: 1 }, condition: { exists: 'n' } } },
          { delete: { table: T.sorted, key: { pk, sk: 'del' } } },
          { conditionCheck: { table: T.sorted, key: { pk, sk: 'chk' }, condition: { exists: 'pk' } } },
          { put: { table: T.simple, item: { id, v: 2 } } },
        ]);
        assert.deepEqual(await db.get(T.sorted, { pk, sk: 'new' }), { pk, sk: 'new', v: 1 });
        assert.deepEqual(await db.get(T.sorted, { pk, sk: 'upd' }), { pk, sk: 'upd', n: 2 });
        assert.equal(await db.get(T.sorted, { pk, sk: 'del' }), undefined);
        assert.deepEqual(await db.get(T.simple, { id }), { id, v: 2 });
      });

      test('one failed condition cancels all, with a reason per operation', async () => {
        const pk = uid();
        await putSorted(pk, ['upd', 'del', 'chk']);
        const err = await db
          .transactWrite([
            { put: { table: T.sorted, item: { pk, sk: 'new' } } },
            { update: { table: T.sorted, key: { pk, sk: 'upd' }, set: { x: 1 }, condition: { exists: 'nope' } } },
            { delete: { table: T.sorted, key: { pk, sk: 'del' } } },
            { conditionCheck: { table: T.sorted, key: { pk, sk: 'missing' }, condition: { exists: 'pk' } } },
          ])
          .then(
            () => assert.fail('transaction should be cancelled'),
            (e: unknown) => e,
          );
        assert.ok(err instanceof TransactionCanceledError, String(err));
        assert.deepEqual(err.reasons, ['None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']);
        assert.equal(await db.get(T.sorted, { pk, sk: 'new' }), undefined);
        assert.deepEqual(await db.get(T.sorted, { pk, sk: 'upd' }), { pk, sk: 'upd' });
        assert.deepEqual(await db.get(T.sorted, { pk, sk: 'del' }), { pk, sk: 'del' });
      });

      test('two operations on one item, or more than 100 operations, are TableValidationError', async () => {
        const pk = uid();
        await assert.rejects(
          db.transactWrite([
            { put: { table: T.sorted, item: { pk, sk: 'a' } } },
            { update: { table: T.sorted, key: { pk, sk: 'a' }, set: { v: 1 } } },
          ]),
          isValidation,
        );
        assert.equal(await db.get(T.sorted, { pk, sk: 'a' }), undefined);
        const ops = Array.from({ length: 101 }, (_, i) => ({ put: { table: T.sorted, item: { pk, sk: `k${i}` } } }));
        await assert.rejects(db.transactWrite(ops), isValidation);
        assert.deepEqual((await db.query({ table: T.sorted, partition: pk })).items, []);
      });
    });

    describe('validation and isolation', () => {
      test('bad tables, keys and items are TableValidationError', async () => {
        const bad: [string, () => Promise<unknown>][] = [
          ['unknown table get', () => db.get(`${T.simple}-nope`, { id: 'x' })],
          ['unknown table put', () => db.put({ table: `${T.simple}-nope`, item: { id: 'x' } })],
          ['unknown table query', () => db.query({ table: `${T.simple}-nope`, partition: 'x' })],
          ['missing sort key', () => db.get(T.sorted, { pk: 'x' })],
          ['extra key attribute', () => db.get(T.simple, { id: 'x', other: 'y' })],
          ['key of the wrong type', () => db.get(T.simple, { id: 5 })],
          ['number key given as string', () => db.get(T.numbered, { pk: 'x', n: '1' })],
          ['empty string key', () => db.get(T.simple, { id: '' })],
          ['empty string key in put', () => db.put({ table: T.simple, item: { id: '' } })],
          ['item without its key', () => db.put({ table: T.sorted, item: { pk: 'x' } })],
          ['item key of the wrong type', () => db.put({ table: T.numbered, item: { pk: 'x', n: 'one' } })],
          ['index key of the wrong type', () => db.put({ table: T.sorted, item: { pk: 'x', sk: 'y', gpk: 5, gsk: 'a' } })],
          ['not a number', () => db.put({ table: T.simple, item: { id: 'x', n: Number.NaN } })],
          ['item over 400 KB', () => db.put({ table: T.simple, item: { id: 'x', big: 'x'.repeat(410 * 1024) } })],
          ['delete with a bad key', () => db.delete({ table: T.sorted, key: { pk: 'x', sk: 1 } })],
          ['update with a bad key', () => db.update({ table: T.simple, key: { nope: 'x' }, set: { a: 1 } })],
        ];
        for (const [label, run] of bad) await assert.rejects(run(), isValidation, label);
      });

      test('stored items are copies: mutating inputs or results changes nothing stored', async () => {
        const id = uid();
        const item = { id, map: { list: [1, 2] as number[] }, group: uid('grp') };
        await db.put({ table: T.simple, item });
        item.map.list.push(3);
        const got = (await db.get(T.simple, { id })) as { map: { list: number[] } };
        assert.deepEqual(got.map.list, [1, 2]);
        got.map.list.push(4);
        const value = { deep: ['v'] };
        const updated = (await db.update({ table: T.simple, key: { id }, set: { value } })) as { value: { deep: string[] } };
        value.deep.push('changed');
        updated.value.deep.push('changed too');
        const queried = await db.query({ table: T.simple, index: 'by-group', partition: item.group });
        (queried.items[0].map as { list: number[] }).list.length = 0;
        const batch = await db.batchGet(T.simple, [{ id }]);
        (batch[0].value as { deep: string[] }).deep.length = 0;
        assert.deepEqual(await db.get(T.simple, { id }), { id, map: { list: [1, 2] }, group: item.group, value: { deep: ['v'] } });
      });
    });

    describe('change log', () => {
      const forKey = (pk: string) => (records: ShardRecord[]) => records.filter((r) => r.record.keys.pk === pk);
      const events = (records: ShardRecord[]) => records.map((r) => r.record.eventName);
      const changesOf = async (pk: string, count: number) =>
        eventually(async () => forKey(pk)(await readAllChanges(db, T.streamed)), (r) => r.length >= count);

      test('every effective write is recorded in order with keys and images', async () => {
        const pk = uid();
        const shards = await db.changes.listShards(T.streamed);
        assert.ok(shards.length >= 1 && shards.every((s) => typeof s.shardId === 'string'));
        await db.put({ table: T.streamed, item: { pk, sk: 'a', v: 1 } });
        await db.put({ table: T.streamed, item: { pk, sk: 'a', v: 2 } });
        await db.update({ table: T.streamed, key: { pk, sk: 'a' }, add: { v: 1 } });
        await assert.rejects(db.put({ table: T.streamed, item: { pk, sk: 'a', v: 9 }, condition: { notExists: 'pk' } }), isConditionFailed);
        await db.delete({ table: T.streamed, key: { pk, sk: 'missing' } });
        await db.delete({ table: T.streamed, key: { pk, sk: 'a' } });
        const records = await changesOf(pk, 4);
        assert.deepEqual(events(records), ['INSERT', 'MODIFY', 'MODIFY', 'REMOVE']);
        const [insert, modify, update, remove] = records.map((r) => r.record) as ChangeRecord[];
        assert.deepEqual(insert.keys, { pk, sk: 'a' });
        assert.equal(insert.table, T.streamed);
        assert.equal(insert.oldImage, undefined);
        assert.deepEqual(insert.newImage, { pk, sk: 'a', v: 1 });
        assert.deepEqual([modify.oldImage, modify.newImage], [{ pk, sk: 'a', v: 1 }, { pk, sk: 'a', v: 2 }]);
        assert.deepEqual([update.oldImage, update.newImage], [{ pk, sk: 'a', v: 2 }, { pk, sk: 'a', v: 3 }]);
        assert.deepEqual(remove.oldImage, { pk, sk: 'a', v: 3 });
        assert.equal(remove.newImage, undefined);
        const seqs = records.map((r) => BigInt(r.record.sequenceNumber));
        assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'sequence numbers increase');
        assert.ok(records.every((r) => r.record.approximateCreationDateTime > 1_500_000_000 && r.record.approximateCreationDateTime < 1e11));
      });

      test('reading after a checkpoint returns only newer records', async () => {
        const pk = uid();
        for (const v of [1, 2, 3, 4]) await db.put({ table: T.streamed, item: { pk, sk: 'a', v } });
        const records = await changesOf(pk, 4);
        const checkpoint = records[1];
        const newer = forKey(pk)(await readShard(db, T.streamed, checkpoint.shardId, checkpoint.record.sequenceNumber));
        assert.deepEqual(newer.map((r) => r.record.newImage?.v), [3, 4]);
      });

      test('transactions record each write; cancelled transactions record nothing', async () => {
        const pk = uid();
        await db.transactWrite([
          { put: { table: T.streamed, item: { pk, sk: 'x' } } },
          { put: { table: T.streamed, item: { pk, sk: 'y' } } },
        ]);
        await assert.rejects(
          db.transactWrite([
            { put: { table: T.streamed, item: { pk, sk: 'z' } } },
            { delete: { table: T.streamed, key: { pk, sk: 'x' }, condition: { notExists: 'pk' } } },
          ]),
          (e: unknown) => e instanceof TransactionCanceledError,
        );
        await db.put({ table: T.streamed, item: { pk, sk: 'marker' } });
        const records = await changesOf(pk, 3);
        // Order across items is per shard only, so compare as a set.
        assert.deepEqual(records.map((r) => `${r.record.eventName} ${r.record.keys.sk}`).sort(), ['INSERT marker', 'INSERT x', 'INSERT y']);
      });

      test('tables without stream have no change log', async () => {
        await assert.rejects(db.changes.listShards(T.simple), isValidation);
        await assert.rejects(db.changes.read({ table: T.simple, shardId: 'shard-0000' }), isValidation);
      });
    });
  });
}
