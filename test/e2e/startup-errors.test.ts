/**
 * `biilive serve --store dynamodb` when the store cannot be used: one clear message on stderr
 * naming the problem, exit code 2, never a stack trace, and within a bound (each run is killed
 * after RUN_BOUND_MS; a killed run fails the test). Runs the real CLI in child processes.
 *
 * Bad credentials: DynamoDB Local accepts any well-formed keys, but answers an access key id with
 * characters outside [A-Za-z0-9] with UnrecognizedClientException, AWS's own answer to unknown
 * keys; that is what is provoked here. Missing credentials are provoked with an empty chain.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { localClientOptions, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { childEnv, runCli, type CliResult } from '../support/server.ts';

/** Generous for two 5 s probe attempts plus process start on a loaded machine; far below the SDK's minutes. */
const RUN_BOUND_MS = 40_000;

/** Exit 2, not killed, stdout silent, and stderr exactly one `biilive:` message without a stack (beside `db init`'s progress lines). */
function assertStartupError(result: CliResult, pattern: RegExp): void {
  const r = { ...result, stderr: result.stderr.replace(/^db init: tables \d+\/\d+ ready\n/gm, '') };
  assert.equal(r.signal, null, `still running after ${RUN_BOUND_MS} ms:\n${r.stderr}`);
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stdout, /ready/);
  assert.match(r.stderr, /^biilive: /);
  assert.equal(r.stderr.match(/^biilive: /gm)?.length, 1, `one message:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
}

describe('serve on DynamoDB: start-up errors', () => {
  let ddb: DynamoLocal;
  let raw: DynamoDBClient;
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-startup-'));
  const fresh = () => `se${randomBytes(3).toString('hex')}-`;
  const serve = (endpoint: string, env: NodeJS.ProcessEnv) =>
    runCli(['serve', '--store', 'dynamodb', '--dynamodb-endpoint', endpoint, '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], env, RUN_BOUND_MS);

  before(async () => {
    ddb = await startDynamoLocal();
    raw = new DynamoDBClient(localClientOptions(ddb.endpoint));
  });
  after(async () => {
    raw?.destroy();
    await ddb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('no tables (db init never ran): names every missing table and the command that creates them', async () => {
    const prefix = fresh();
    const r = await serve(ddb.endpoint, childEnv({ BIILIVE_DYNAMODB_TABLE_PREFIX: prefix }));
    assertStartupError(r, /tables at http:\/\/127\.0\.0\.1:\d+ are not as expected \(run `biilive db init`/);
    for (const table of ['BIILIVEDB-USERS', 'BIIHLIVE-SOCIAL-V2', 'BIILIVEDB-CHATS', 'BIILIVE-IDENTITY', 'BIILIVE-SYSTEM']) {
      assert.match(r.stderr, new RegExp(`- ${prefix}${table}: table is missing`));
    }
  });

  test('one table missing, and a social table without its stream: each named, nothing else', async () => {
    const prefix = fresh();
    const env = childEnv({ BIILIVE_DYNAMODB_TABLE_PREFIX: prefix });
    const init = await runCli(['db', 'init', '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint], env);
    assert.equal(init.code, 0, init.stderr);
    await raw.send(new DeleteTableCommand({ TableName: `${prefix}BIILIVE-PHOTOS` }));
    const missing = await serve(ddb.endpoint, env);
    assertStartupError(missing, new RegExp(`:\\n  - ${prefix}BIILIVE-PHOTOS: table is missing\\n$`));

    // The social table created by hand, with the right keys but no stream: db init does not
    // "fix" an existing table silently, and serve refuses it.
    const other = fresh();
    const otherEnv = childEnv({ BIILIVE_DYNAMODB_TABLE_PREFIX: other });
    const TableName = `${other}BIIHLIVE-SOCIAL-V2`;
    await raw.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'followerId', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
        AttributeDefinitions: [
          { AttributeName: 'followerId', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
          { AttributeName: 'GSI1PK', AttributeType: 'S' },
          { AttributeName: 'GSI1SK', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          { IndexName: 'GSI1', KeySchema: [{ AttributeName: 'GSI1PK', KeyType: 'HASH' }, { AttributeName: 'GSI1SK', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
        ],
      }),
    );
    await waitUntilTableExists({ client: raw, maxWaitTime: 30 }, { TableName });
    const [initAgain, streamless] = await Promise.all([
      runCli(['db', 'init', '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint], otherEnv, RUN_BOUND_MS),
      // The same table, seen by serve (the other tables may or may not exist yet: only the stream line is checked).
      serve(ddb.endpoint, otherEnv),
    ]);
    const noStream = `- ${TableName}: stream with NEW_AND_OLD_IMAGES is not enabled`;
    assertStartupError(initAgain, new RegExp(`fix or re-create them[^]*${noStream}`));
    assertStartupError(streamless, new RegExp(noStream));
  });

  test('unreachable endpoint (a closed port): "cannot reach", within seconds', async () => {
    const port = await closedPort();
    const r = await serve(`http://127.0.0.1:${port}`, childEnv());
    assertStartupError(r, new RegExp(`^biilive: cannot reach DynamoDB at http://127\\.0\\.0\\.1:${port}: connection refused\\n$`));
  });

  test('an endpoint that accepts connections but never answers: bounded by the probe timeouts', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    try {
      const { port } = silent.address() as { port: number };
      const r = await serve(`http://127.0.0.1:${port}`, childEnv());
      assertStartupError(r, /cannot reach DynamoDB at http:\/\/127\.0\.0\.1:\d+: connected, but no answer within 5 s/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => silent.close(ok));
    }
  });

  test('bad credentials: the endpoint refuses the access key (UnrecognizedClientException)', async () => {
    const r = await serve(ddb.endpoint, childEnv({ AWS_ACCESS_KEY_ID: 'not-a-valid-key!' }));
    assertStartupError(r, /refused the AWS credentials \(UnrecognizedClientException: The Access Key ID or security token is invalid\.\)/);
  });

  test('no credentials anywhere in the AWS chain: says so', async () => {
    const env = childEnv({ AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'none'), AWS_CONFIG_FILE: join(dataDir, 'none') });
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const r = await serve(ddb.endpoint, env);
    assertStartupError(r, /no AWS credentials for DynamoDB at http:\/\/127\.0\.0\.1:\d+ \(Could not load credentials from any providers\)/);
  });
});

/** A 127.0.0.1 port with nothing listening (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}
