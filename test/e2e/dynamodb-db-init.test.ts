/**
 * `biilive db init` on DynamoDB, run as the real CLI in child processes against DynamoDB Local:
 * --dry-run prints every table with its exact key schema, init creates exactly that (checked
 * with DescribeTable through a plain AWS SDK client), and running it again changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, type CreateTableCommandInput, type TableDescription } from '@aws-sdk/client-dynamodb';
import { localClientOptions, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { childEnv, runCli } from '../support/server.ts';

const SEED_AND_ADDED = [
  'BIILIVEDB-USERS',
  'BIIHLIVE-SOCIAL-V2',
  'BIILIVEDB-CHATS',
  'BIILIVE-NICKNAMES',
  'BIILIVE-IDENTITY',
  'BIILIVE-SYSTEM',
  'BIILIVE-POINTS-LEDGER',
  'BIILIVE-RANKINGS',
  'BIILIVE-PHOTOS',
];

const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) => (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`);
const attrs = (t: { AttributeDefinitions?: { AttributeName?: string; AttributeType?: string }[] }) =>
  Object.fromEntries((t.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
const indexes = (t: CreateTableCommandInput | TableDescription) =>
  Object.fromEntries((t.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, { keys: keys(i.KeySchema), projection: i.Projection?.ProjectionType }]));

describe('biilive db init on DynamoDB', () => {
  let ddb: DynamoLocal;
  let raw: DynamoDBClient;
  const prefix = `init${randomBytes(3).toString('hex')}-`;
  const args = () => ['db', 'init', '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint];
  const env = () => childEnv({ BIILIVE_DYNAMODB_TABLE_PREFIX: prefix });

  before(async () => {
    ddb = await startDynamoLocal();
    raw = new DynamoDBClient(localClientOptions(ddb.endpoint));
  });
  after(async () => {
    raw?.destroy();
    await ddb?.stop();
  });

  test('--dry-run prints every table with its exact key schema and touches nothing', async () => {
    // A closed port: the dry run must not need (or call) the endpoint.
    const r = await runCli(['db', 'init', '--dry-run', '--store', 'dynamodb', '--dynamodb-endpoint', 'http://127.0.0.1:9'], childEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const defs = JSON.parse(r.stdout) as CreateTableCommandInput[];
    assert.deepEqual(defs.map((d) => d.TableName), SEED_AND_ADDED);
    const by = new Map(defs.map((d) => [d.TableName, d]));
    for (const d of defs) assert.equal(d.BillingMode, 'PAY_PER_REQUEST', d.TableName);

    // The seed's three tables, keys unchanged.
    const users = by.get('BIILIVEDB-USERS')!;
    assert.deepEqual(keys(users.KeySchema), ['userId:HASH']);
    assert.deepEqual(indexes(users), { 'nickname-index': { keys: ['nicknameBucket:HASH', 'nicknameLower:RANGE'], projection: 'ALL' } });
    assert.equal(users.StreamSpecification, undefined);
    const social = by.get('BIIHLIVE-SOCIAL-V2')!;
    assert.deepEqual(keys(social.KeySchema), ['followerId:HASH', 'SK:RANGE']);
    assert.deepEqual(indexes(social), { GSI1: { keys: ['GSI1PK:HASH', 'GSI1SK:RANGE'], projection: 'ALL' } });
    assert.deepEqual(attrs(social), { followerId: 'S', SK: 'S', GSI1PK: 'S', GSI1SK: 'S' });
    assert.deepEqual(social.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const chats = by.get('BIILIVEDB-CHATS')!;
    assert.deepEqual(keys(chats.KeySchema), ['conversationId:HASH', 'timestamp:RANGE']);
    assert.deepEqual(indexes(chats), { 'inbox-index': { keys: ['inboxOwner:HASH', 'inboxSort:RANGE'], projection: 'ALL' } });
    // Only the social table has a stream (it drives UpdateUserCounters).
    assert.deepEqual(defs.filter((d) => d.StreamSpecification).map((d) => d.TableName), ['BIIHLIVE-SOCIAL-V2']);
    // Added tables.
    assert.deepEqual(keys(by.get('BIILIVE-NICKNAMES')!.KeySchema), ['nickname:HASH']);
    assert.deepEqual(keys(by.get('BIILIVE-IDENTITY')!.KeySchema), ['pk:HASH', 'sk:RANGE']);
    assert.deepEqual(keys(by.get('BIILIVE-SYSTEM')!.KeySchema), ['pk:HASH', 'sk:RANGE']);
    assert.deepEqual(keys(by.get('BIILIVE-PHOTOS')!.KeySchema), ['userId:HASH', 'photoId:RANGE']);

    const prefixed = await runCli(['db', 'init', '--dry-run', '--store', 'dynamodb'], env());
    assert.deepEqual((JSON.parse(prefixed.stdout) as CreateTableCommandInput[]).map((d) => d.TableName), SEED_AND_ADDED.map((n) => prefix + n));
  });

  test('init creates exactly what --dry-run prints; run again it creates nothing and succeeds', async () => {
    const defs = JSON.parse((await runCli([...args(), '--dry-run'], env())).stdout) as CreateTableCommandInput[];
    const first = await runCli(args(), env());
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^9 tables ready on DynamoDB at http:\/\/127\.0\.0\.1:\d+\n/);
    assert.equal(/created:\s+(.*)/.exec(first.stdout)?.[1], SEED_AND_ADDED.map((n) => prefix + n).join(', '));

    for (const want of defs) {
      const live = (await raw.send(new DescribeTableCommand({ TableName: want.TableName }))).Table!;
      assert.equal(live.TableStatus, 'ACTIVE', want.TableName);
      assert.deepEqual(keys(live.KeySchema), keys(want.KeySchema), want.TableName);
      assert.deepEqual(attrs(live), attrs(want), want.TableName);
      assert.deepEqual(indexes(live), indexes(want), want.TableName);
      if (want.StreamSpecification) {
        assert.deepEqual(live.StreamSpecification, want.StreamSpecification, want.TableName);
        assert.match(live.LatestStreamArn ?? '', /^arn:aws:dynamodb:/);
      } else {
        assert.ok(!live.StreamSpecification?.StreamEnabled, `${want.TableName} has no stream`);
      }
    }

    const second = await runCli(args(), env());
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /created:\s+\(none\)/);
    assert.equal(/already there:\s+(.*)/.exec(second.stdout)?.[1], SEED_AND_ADDED.map((n) => prefix + n).join(', '));
  });

  test('db get-item reads through the same store; bad input is a usage error (exit 2)', async () => {
    const getItem = (...rest: string[]) => runCli(['db', 'get-item', ...rest, '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint], env());
    // Independent runs: side by side (each child costs a second or two to start).
    const [none, badJson, badTable, badKey] = await Promise.all([
      getItem('BIILIVEDB-USERS', '{"userId":"nobody"}'),
      getItem('BIILIVEDB-USERS', '{userId'),
      getItem('NO-SUCH-TABLE', '{"userId":"x"}'),
      getItem('BIILIVEDB-USERS', '{"wrong":"x"}'),
    ]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.trim(), 'null');
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /key must be a JSON object/);
    assert.equal(badTable.code, 2);
    assert.match(badTable.stderr, /unknown table NO-SUCH-TABLE; the tables are BIILIVEDB-USERS, /);
    assert.equal(badKey.code, 2, badKey.stderr);
    assert.match(badKey.stderr, /^biilive: .*required keys/);
    assert.doesNotMatch(badKey.stderr, /\n\s+at /, 'no stack trace');
  });
});
