/**
 * DynamoDB adapter of the Tables port against DynamoDB Local (one in-memory JVM for the whole file;
 * every test gets its own table prefix). The shared conformance suite runs first, then the cases that
 * only make sense for DynamoDB: expression rendering, batching, throttling, streams, table set-up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedError,
  TableValidationError,
  TransactionCanceledError,
  type Condition,
  type TableDefinition,
} from '../../src/ports/tables.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import {
  checkTables,
  createDynamoTables,
  tableCreateInput,
  type DynamoTables,
  type DynamoTablesOptions,
} from '../../src/adapters/dynamodb/dynamodb-tables.ts';
import { ExpressionBuilder, decodeCursor, encodeCursor, renderUpdate } from '../../src/adapters/dynamodb/expressions.ts';
import { isThrottle, withRetry } from '../../src/adapters/dynamodb/retry.ts';
import { assertLocalEndpoint, localClientOptions, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { runTablesConformance } from './tables.conformance.ts';

let local: DynamoLocal | undefined;
let prefixes = 0;

before(async () => {
  local = await startDynamoLocal();
});
after(async () => {
  await local?.stop();
});

function options(extra: Partial<DynamoTablesOptions> = {}): DynamoTablesOptions {
  if (!local) throw new Error('DynamoDB Local is not running');
  return { ...localClientOptions(local.endpoint), tablePrefix: `t${++prefixes}-`, ...extra };
}

runTablesConformance('dynamodb local', async () => {
  const tables = createDynamoTables(options());
  return { tables, cleanup: () => tables.close() };
});

const NAMES = {
  users: 'users',
  social: 'social',
  chats: 'chats',
  nicknames: 'nicknames',
  identity: 'identity',
  system: 'system',
  photos: 'photos',
  points: 'points',
  rankings: 'rankings',
};
const DEFS = tableDefinitions(NAMES);

/** A fresh prefix with every domain table created. */
async function openTables(extra: Partial<DynamoTablesOptions> = {}): Promise<DynamoTables> {
  const tables = createDynamoTables(options(extra));
  await tables.ensure(DEFS);
  return tables;
}

async function withTables(fn: (tables: DynamoTables) => Promise<void>): Promise<void> {
  const tables = await openTables();
  try {
    await fn(tables);
  } finally {
    await tables.close();
  }
}

describe('tableCreateInput', () => {
  const byId = new Map(DEFS.map((d) => [d.id, tableCreateInput(d)]));

  test('renders every domain table with its exact key schema, on-demand', () => {
    const keys = Object.fromEntries([...byId].map(([id, input]) => [id, input.KeySchema]));
    assert.deepEqual(keys, {
      users: [{ AttributeName: 'userId', KeyType: 'HASH' }],
      social: [
        { AttributeName: 'followerId', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      chats: [
        { AttributeName: 'conversationId', KeyType: 'HASH' },
        { AttributeName: 'timestamp', KeyType: 'RANGE' },
      ],
      nicknames: [{ AttributeName: 'nickname', KeyType: 'HASH' }],
      identity: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      system: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      points: [{ AttributeName: 'idempotencyKey', KeyType: 'HASH' }],
      rankings: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      photos: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'photoId', KeyType: 'RANGE' },
      ],
    });
    for (const [id, input] of byId) {
      assert.equal(input.TableName, NAMES[id as keyof typeof NAMES]);
      assert.equal(input.BillingMode, 'PAY_PER_REQUEST');
    }
  });

  test('social: GSI1 projecting ALL and a NEW_AND_OLD_IMAGES stream; no other table streams', () => {
    const social = byId.get('social')!;
    assert.deepEqual(social.GlobalSecondaryIndexes, [
      {
        IndexName: 'GSI1',
        KeySchema: [
          { AttributeName: 'GSI1PK', KeyType: 'HASH' },
          { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    assert.deepEqual(social.AttributeDefinitions, [
      { AttributeName: 'followerId', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
      { AttributeName: 'GSI1PK', AttributeType: 'S' },
      { AttributeName: 'GSI1SK', AttributeType: 'S' },
    ]);
    assert.deepEqual(social.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    for (const [id, input] of byId) if (id !== 'social') assert.equal(input.StreamSpecification, undefined, id);
  });

  test('users: nickname-index; identity: GSI1; every index projects ALL and only key attributes are declared', () => {
    assert.deepEqual(
      byId.get('users')!.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema?.map((k) => k.AttributeName)]),
      [['nickname-index', ['nicknameBucket', 'nicknameLower']]],
    );
    assert.deepEqual(byId.get('identity')!.GlobalSecondaryIndexes?.map((i) => i.IndexName), ['GSI1']);
    assert.deepEqual(byId.get('nicknames')!.AttributeDefinitions, [{ AttributeName: 'nickname', AttributeType: 'S' }]);
    for (const def of DEFS) {
      const input = byId.get(def.id)!;
      const keyAttrs = [def.partitionKey, def.sortKey, ...(def.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])];
      const declared = new Map(keyAttrs.filter((a) => a !== undefined).map((a) => [a.name, a.type]));
      assert.deepEqual(new Map(input.AttributeDefinitions!.map((a) => [a.AttributeName, a.AttributeType])), declared, def.id);
      assert.deepEqual(input.GlobalSecondaryIndexes?.map((i) => i.IndexName), def.indexes?.length ? def.indexes.map((i) => i.name) : undefined, def.id);
      for (const index of input.GlobalSecondaryIndexes ?? []) assert.deepEqual(index.Projection, { ProjectionType: 'ALL' }, def.id);
    }
  });

  test('an attribute declared with two types is refused', () => {
    const def: TableDefinition = {
      id: 'x',
      name: 'x',
      partitionKey: { name: 'a', type: 'S' },
      indexes: [{ name: 'i', partitionKey: { name: 'a', type: 'N' } }],
    };
    assert.throws(() => tableCreateInput(def), TableValidationError);
  });
});

describe('expression rendering', () => {
  test('attribute names only ever appear as placeholders', () => {
    const b = new ExpressionBuilder();
    const awkward = ['name', 'timestamp', '#', 'a.b', 'x y', ':v0', '#n0'];
    const condition: Condition = {
      and: [
        ...awkward.map((attr): Condition => ({ attr, op: '=', value: attr })),
        { or: [{ exists: 'name' }, { not: { notExists: 'timestamp' } }] },
        { attr: 'size', beginsWith: 'ab' },
      ],
    };
    const expression = b.condition(condition);
    const { ExpressionAttributeNames: names = {}, ExpressionAttributeValues: values = {} } = b.params();
    const stripped = expression.replace(/#n\d+|:v\d+/g, '');
    for (const attr of ['name', 'timestamp', 'size']) assert.ok(!stripped.includes(attr), `${attr} leaked into ${expression}`);
    assert.ok(!stripped.includes('#') && !stripped.includes('.') && !stripped.includes(':'), expression);
    assert.deepEqual(Object.values(names).sort(), [...awkward, 'size'].sort());
    assert.equal(Object.keys(values).length, awkward.length + 1);
    // A name used twice gets one placeholder.
    assert.equal(Object.values(names).filter((n) => n === 'name').length, 1);
  });

  test('update clauses: SET, if_not_exists, ADD, REMOVE with shared placeholders', () => {
    const out = renderUpdate({
      table: 't',
      key: { pk: 'a' },
      set: { name: 'x' },
      setIfNotExists: { createdAt: 1 },
      add: { count: 2 },
      remove: ['timestamp'],
      condition: { exists: 'name' },
    });
    assert.equal(out.UpdateExpression, 'SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) ADD #n2 :v2 REMOVE #n3');
    assert.equal(out.ConditionExpression, 'attribute_exists(#n0)');
    assert.deepEqual(out.ExpressionAttributeNames, { '#n0': 'name', '#n1': 'createdAt', '#n2': 'count', '#n3': 'timestamp' });
    assert.deepEqual(out.ExpressionAttributeValues, { ':v0': 'x', ':v1': 1, ':v2': 2 });
  });

  test('bad conditions are validation errors before any request', () => {
    const b = new ExpressionBuilder();
    assert.throws(() => b.condition({ and: [] }), TableValidationError);
    assert.throws(() => b.condition({ exists: '' }), TableValidationError);
    assert.throws(() => b.condition({ attr: 'a', op: '~' as never, value: 1 }), TableValidationError);
    assert.throws(() => b.condition({} as never), TableValidationError);
  });

  test('cursors round-trip; malformed ones are validation errors', () => {
    const key = { followerId: 'a', SK: 'FOLLOWING#b', n: 3 };
    assert.deepEqual(decodeCursor(encodeCursor(key)), key);
    for (const bad of ['', '!!!', 'bm90IGpzb24', Buffer.from('[1]').toString('base64url'), Buffer.from('{"a":{}}').toString('base64url')]) {
      assert.throws(() => decodeCursor(bad), TableValidationError, bad);
    }
  });
});

describe('retry', () => {
  const throttle = () => Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
  const instant = { baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} };

  test('retries a throttled call with backoff and reports each throttle', async () => {
    let calls = 0;
    const throttled: string[] = [];
    const delays: number[] = [];
    const result = await withRetry(
      'GetItem',
      async () => {
        if (++calls <= 2) throw throttle();
        return 'ok';
      },
      { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000, onThrottle: (op) => throttled.push(op), sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(throttled, ['GetItem', 'GetItem']);
    assert.deepEqual(delays, [50, 100]); // half of 100, 200: exponential with (here fixed) jitter
  });

  test('gives up after maxRetries, and never retries other errors', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry('PutItem', async () => {
        calls++;
        throw throttle();
      }, { maxRetries: 2, ...instant }),
      { name: 'ThrottlingException' },
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      withRetry('PutItem', async () => {
        calls++;
        throw Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' });
      }, { maxRetries: 5, ...instant }),
      { name: 'ConditionalCheckFailedException' },
    );
    assert.equal(calls, 1);
  });

  test('a transaction cancelled only by throttled items counts as throttling', () => {
    const cancelled = (codes: string[]) =>
      Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: codes.map((Code) => ({ Code })) });
    assert.ok(isThrottle(cancelled(['None', 'ThrottlingError'])));
    assert.ok(!isThrottle(cancelled(['ConditionalCheckFailed', 'ThrottlingError'])));
    assert.ok(isThrottle({ name: 'ProvisionedThroughputExceededException' }));
    assert.ok(isThrottle({ name: 'RequestLimitExceeded' }));
  });
});

describe('test support', () => {
  test('refuses endpoints that are not local', () => {
    assert.throws(() => assertLocalEndpoint('https://dynamodb.us-east-1.amazonaws.com'), /Refusing/);
    assert.throws(() => assertLocalEndpoint('http://10.0.0.1:8000'), /Refusing/);
    assert.throws(() => localClientOptions('not a url'), /Refusing/);
    assertLocalEndpoint('http://127.0.0.1:8000');
  });
});

describe('DynamoDB Local specifics', () => {
  test('ensure is idempotent and checkTables finds nothing wrong', async () => {
    const opts = options();
    const tables = createDynamoTables(opts);
    try {
      await tables.ensure(DEFS);
      await tables.ensure(DEFS);
      assert.deepEqual(await tables.checkTables(DEFS), []);
      assert.deepEqual(await checkTables(DEFS, opts), []);
    } finally {
      await tables.close();
    }
  });

  test('checkTables reports a missing table and a key schema mismatch', async () => {
    const opts = options();
    const client = new DynamoDBClient(localClientOptions(opts.endpoint!));
    try {
      // "chats" created with a numeric sort key and no stream on "social": both drift from the design.
      const chats = DEFS.find((d) => d.id === 'chats')!;
      await client.send(new CreateTableCommand(tableCreateInput({ ...chats, sortKey: { name: 'timestamp', type: 'N' } }, `${opts.tablePrefix}${chats.name}`)));
      const social = DEFS.find((d) => d.id === 'social')!;
      await client.send(new CreateTableCommand(tableCreateInput({ ...social, stream: false, indexes: [] }, `${opts.tablePrefix}${social.name}`)));
      const problems = await checkTables(DEFS, opts);
      const p = opts.tablePrefix;
      assert.ok(problems.includes(`${p}users: table is missing`), problems.join('\n'));
      assert.ok(problems.some((x) => x.startsWith(`${p}chats: key schema`)), problems.join('\n'));
      assert.ok(problems.includes(`${p}social: index GSI1 is missing`), problems.join('\n'));
      assert.ok(problems.some((x) => x.startsWith(`${p}social: stream`)), problems.join('\n'));
    } finally {
      client.destroy();
    }
  });

  test('conditions with reserved and awkward attribute names', () =>
    withTables(async (tables) => {
      const key = { userId: 'u1' };
      const item = { ...key, name: 'Ann', timestamp: '2024-01-01', '#': 1, 'a.b': 'dot', 'x y': true, ':v0': null };
      await tables.put({ table: 'users', item, condition: { notExists: 'userId' } });
      await assert.rejects(tables.put({ table: 'users', item, condition: { notExists: 'userId' } }), ConditionalCheckFailedError);
      const holds: Condition = {
        and: [
          { attr: 'name', op: '=', value: 'Ann' },
          { attr: 'timestamp', op: '<', value: '2025' },
          { attr: '#', op: '>=', value: 1 },
          { attr: 'a.b', beginsWith: 'do' },
          { attr: 'x y', op: '=', value: true },
          { exists: ':v0' },
          { not: { exists: 'missing' } },
        ],
      };
      const updated = await tables.update({ table: 'users', key, set: { name: 'Bo' }, add: { '#': 2 }, remove: ['timestamp'], condition: holds });
      assert.deepEqual(updated, { userId: 'u1', name: 'Bo', '#': 3, 'a.b': 'dot', 'x y': true, ':v0': null });
      await assert.rejects(tables.update({ table: 'users', key, set: { name: 'Cy' }, condition: holds }), ConditionalCheckFailedError);
      await assert.rejects(tables.delete({ table: 'users', key, condition: { attr: 'name', op: '<>', value: 'Bo' } }), ConditionalCheckFailedError);
      assert.deepEqual(await tables.delete({ table: 'users', key, condition: { or: [{ attr: 'name', op: '=', value: 'Bo' }, { exists: 'nope' }] } }), updated);
    }));

  test('update with nothing to change upserts the key; setIfNotExists keeps the first value', () =>
    withTables(async (tables) => {
      assert.deepEqual(await tables.update({ table: 'nicknames', key: { nickname: 'ann' } }), { nickname: 'ann' });
      await tables.update({ table: 'nicknames', key: { nickname: 'ann' }, setIfNotExists: { owner: 'u1' } });
      const after = await tables.update({ table: 'nicknames', key: { nickname: 'ann' }, setIfNotExists: { owner: 'u2' } });
      assert.deepEqual(after, { nickname: 'ann', owner: 'u1' });
    }));

  test('batchGet of 100 keys, missing ones absent; more than 100 refused', () =>
    withTables(async (tables) => {
      const ops = Array.from({ length: 50 }, (_, i) => ({ put: { table: 'users', item: { userId: `u${i}`, n: i } } }));
      await tables.transactWrite(ops);
      const keys = Array.from({ length: 100 }, (_, i) => ({ userId: `u${i}` }));
      const items = await tables.batchGet('users', keys);
      assert.deepEqual(items.map((i) => i.n).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 50 }, (_, i) => i));
      assert.deepEqual(await tables.batchGet('users', []), []);
      await assert.rejects(tables.batchGet('users', [...keys, { userId: 'x' }]), TableValidationError);
    }));

  test('transaction cancellation reasons, one per operation; nothing written', () =>
    withTables(async (tables) => {
      await tables.put({ table: 'nicknames', item: { nickname: 'taken', owner: 'u1' } });
      const attempt = tables.transactWrite([
        { put: { table: 'users', item: { userId: 'u2' } } },
        { put: { table: 'nicknames', item: { nickname: 'taken', owner: 'u2' }, condition: { notExists: 'nickname' } } },
        { update: { table: 'system', key: { pk: 'counter', sk: 'users' }, add: { value: 1 } } },
        { conditionCheck: { table: 'nicknames', key: { nickname: 'taken' }, condition: { attr: 'owner', op: '=', value: 'u1' } } },
      ]);
      await assert.rejects(attempt, (error: unknown) => {
        assert.ok(error instanceof TransactionCanceledError);
        assert.deepEqual(error.reasons, ['None', 'ConditionalCheckFailed', 'None', 'None']);
        return true;
      });
      assert.equal(await tables.get('users', { userId: 'u2' }, { consistent: true }), undefined);
      assert.equal(await tables.get('system', { pk: 'counter', sk: 'users' }), undefined);
      await assert.rejects(tables.transactWrite([{ put: { table: 'users', item: { userId: 1 } } }]), TableValidationError);
    }));

  test('validation errors: unknown table, wrong key, bad cursor, unknown index', () =>
    withTables(async (tables) => {
      await assert.rejects(tables.get('nope', { userId: 'a' }), TableValidationError);
      await assert.rejects(tables.get('users', { id: 'a' }), TableValidationError);
      await assert.rejects(tables.put({ table: 'users', item: { name: 'no key' } }), TableValidationError);
      await assert.rejects(tables.query({ table: 'chats', partition: 'c', cursor: 'garbage!' }), TableValidationError);
      await assert.rejects(tables.query({ table: 'chats', partition: 'c', index: 'nope' }), TableValidationError);
      await assert.rejects(tables.query({ table: 'chats', partition: 'c', limit: 0 }), TableValidationError);
    }));

  test('query pages through a partition with cursors, on the table and on GSI1', () =>
    withTables(async (tables) => {
      const ops = Array.from({ length: 7 }, (_, i) => ({
        put: { table: 'social', item: { followerId: 'a', SK: `FOLLOWING#${i}`, GSI1PK: `USER#${i % 2}`, GSI1SK: `FOLLOWER#a#${i}` } },
      }));
      await tables.transactWrite(ops);
      const seen: unknown[] = [];
      let cursor: string | undefined;
      do {
        const page = await tables.query({ table: 'social', partition: 'a', sort: { op: 'beginsWith', value: 'FOLLOWING#' }, limit: 3, cursor, forward: false, consistent: true });
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((i) => i.SK));
        cursor = page.cursor;
      } while (cursor);
      assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0].map((i) => `FOLLOWING#${i}`));
      const even = await tables.query({ table: 'social', index: 'GSI1', partition: 'USER#0', consistent: true });
      assert.deepEqual(even.items.map((i) => i.SK), ['FOLLOWING#0', 'FOLLOWING#2', 'FOLLOWING#4', 'FOLLOWING#6']);
      const between = await tables.query({ table: 'social', partition: 'a', sort: { op: 'between', value: 'FOLLOWING#2', to: 'FOLLOWING#4' }, filter: { attr: 'GSI1PK', op: '=', value: 'USER#1' } });
      assert.deepEqual(between.items.map((i) => i.SK), ['FOLLOWING#3']);
    }));

  test('change log: INSERT, MODIFY, REMOVE with images, read on from the last sequence number', () =>
    withTables(async (tables) => {
      const key = { followerId: 'a', SK: 'FOLLOWING#b' };
      await tables.put({ table: 'social', item: { ...key, n: 1 } });
      await tables.update({ table: 'social', key, add: { n: 1 } });
      await tables.delete({ table: 'social', key });
      const shards = await tables.changes.listShards('social');
      assert.ok(shards.length >= 1);
      const shardId = shards[0].shardId;
      const first = await readUntil(tables, shardId, undefined, 3);
      assert.deepEqual(
        first.map((r) => [r.eventName, r.keys, r.oldImage?.n, r.newImage?.n]),
        [
          ['INSERT', key, undefined, 1],
          ['MODIFY', key, 1, 2],
          ['REMOVE', key, 2, undefined],
        ],
      );
      assert.ok(first.every((r) => r.table === 'social' && /^\d+$/.test(r.sequenceNumber) && r.approximateCreationDateTime > 1_600_000_000));
      assert.ok(BigInt(first[0].sequenceNumber) < BigInt(first[1].sequenceNumber));
      const last = first[2].sequenceNumber;
      const empty = await tables.changes.read({ table: 'social', shardId, after: last });
      assert.deepEqual(empty.records, []);
      assert.equal(empty.endOfShard, false);
      // Continuing from the same position (cached iterator) sees the next write.
      await tables.put({ table: 'social', item: { ...key, n: 9 } });
      const next = await readUntil(tables, shardId, last, 1);
      assert.deepEqual(next.map((r) => [r.eventName, r.newImage?.n]), [['INSERT', 9]]);
      // A fresh position in the middle (new iterator) returns the rest, honouring limit.
      const middle = await tables.changes.read({ table: 'social', shardId, after: first[0].sequenceNumber, limit: 2 });
      assert.deepEqual(middle.records.map((r) => r.eventName), ['MODIFY', 'REMOVE']);
      await assert.rejects(tables.changes.listShards('users'), TableValidationError);
      await assert.rejects(tables.changes.read({ table: 'social', shardId, after: 'x' }), TableValidationError);
      await assert.rejects(tables.changes.read({ table: 'social', shardId, limit: 1001 }), TableValidationError);
    }));
});

/** Reads a shard until `count` records arrived (a stream may show a write on a later page). */
async function readUntil(tables: DynamoTables, shardId: string, after: string | undefined, count: number) {
  const records = [];
  for (let i = 0; i < 20 && records.length < count; i++) {
    const page = await tables.changes.read({ table: 'social', shardId, after });
    records.push(...page.records);
    if (page.records.length) after = page.records[page.records.length - 1].sequenceNumber;
  }
  return records;
}
