/**
 * The DynamoDB adapter's throttle hook names the table a throttle happened on, through the real
 * AWS SDK over HTTP. DynamoDB Local never throttles, so a stand-in endpoint on loopback answers
 * the way DynamoDB does when it throttles (ProvisionedThroughputExceededException, or a cancelled
 * transaction with a ThrottlingError reason), then succeeds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDynamoTables, type DynamoTables } from '../../src/adapters/dynamodb/dynamodb-tables.ts';

const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
/** Answers per target: each throttles once, then succeeds. */
const answers: Record<string, Array<[number, object]>> = {};
let server: Server;
let tables: DynamoTables;
const throttles: Array<[string, string | undefined]> = [];

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']).split('.').pop()!;
      const [status, body] = answers[target]?.shift() ?? [200, {}];
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  tables = createDynamoTables({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-3',
    credentials: { accessKeyId: 'stand-in', secretAccessKey: 'stand-in' },
    tablePrefix: 'p-',
    onThrottle: (op, table) => throttles.push([op, table]),
    retry: { baseDelayMs: 1, maxDelayMs: 1 },
  });
});

after(async () => {
  await tables?.close();
  await new Promise((ok) => server?.close(ok));
});

describe('throttle hook', () => {
  test('a throttled GetItem is reported with its table (as the port names it), then retried', async () => {
    answers.GetItem = [
      [400, { __type: `${ERROR_PREFIX}ProvisionedThroughputExceededException`, message: 'The level of configured provisioned throughput for the table was exceeded.' }],
      [200, { Item: { userId: { S: 'u1' } } }],
    ];
    assert.deepEqual(await tables.get('USERS', { userId: 'u1' }), { userId: 'u1' });
    assert.deepEqual(throttles.splice(0), [['GetItem', 'USERS']]);
  });

  test('a transaction throttled on one of its items names that item\'s table only', async () => {
    answers.TransactWriteItems = [
      [
        400,
        {
          __type: `${ERROR_PREFIX}TransactionCanceledException`,
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError]',
          CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity for one or more global secondary indexes.' }],
        },
      ],
      [200, {}],
    ];
    await tables.transactWrite([
      { put: { table: 'USERS', item: { userId: 'u1' } } },
      { update: { table: 'SOCIAL', key: { pk: 'a', sk: 'b' }, add: { n: 1 } } },
    ]);
    assert.deepEqual(throttles.splice(0), [['TransactWriteItems', 'SOCIAL']]);
  });
});
