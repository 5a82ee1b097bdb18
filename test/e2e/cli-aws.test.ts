/**
 * The seed's management scripts against AWS.
 *
 * `biilive schema push` and `biilive cdn invalidate --distribution-id` drive AppSync's and
 * CloudFront's control planes, which no real peer can run here: both clients are MOCKED with
 * aws-sdk-client-mock. The mock replaces the client classes' `send` in this process, so these
 * commands run in process through main() of src/cli/main.ts (a child process would not see the
 * mock). The tests assert the exact requests (inputs), the polling, AppSync's failure text on
 * stderr, and that bad input is refused before any call. As a safety net the AppSync and
 * CloudFront endpoints point at a closed local port and the credentials are fake, so nothing
 * here can reach AWS even if the mock were bypassed.
 *
 * `db get-item` in the AWS CLI's form needs no mock: it runs as a child process (as a user runs it)
 * against DynamoDB Local, with tables made by `db init`, and against the embedded SQLite store.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AppSyncClient,
  GetSchemaCreationStatusCommand,
  NotFoundException,
  StartSchemaCreationCommand,
} from '@aws-sdk/client-appsync';
import { CloudFrontClient, CreateInvalidationCommand, GetInvalidationCommand, NoSuchDistribution } from '@aws-sdk/client-cloudfront';
import { DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { openStore } from '../../src/runtime/store.ts';
import { localClientOptions, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { childEnv, runCli } from '../support/server.ts';

// Fake credentials and closed local endpoints for the in-process clients: never AWS.
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_REGION = 'eu-west-3';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ENDPOINT_URL_APPSYNC = 'http://127.0.0.1:9';
process.env.AWS_ENDPOINT_URL_CLOUDFRONT = 'http://127.0.0.1:9';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

const SCHEMA_FILE = new URL('../../src/api/schema.graphql', import.meta.url);
const API_ID = 'abcdefghijklmnopqrstuvwxyz';
const DISTRIBUTION_ID = 'E2QWRUHAPOMQZL';
/** AppSync's words for a schema it cannot parse (aws/aws-appsync-community#38). */
const APPSYNC_PARSE_FAILURE = "Failed to parse schema document - ensure it's a valid SDL-formatted document.";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `biilive <args>` in this process: main() with stdout/stderr captured. Only string writes are
 * captured (the CLI writes strings); buffers pass through, so the test runner's own reporting
 * on stdout is untouched.
 */
async function biilive(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (into: string[], original: typeof process.stdout.write) =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string') {
        into.push(chunk);
        return true;
      }
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  process.exitCode = undefined;
  process.stdout.write = capture(out, stdoutWrite);
  process.stderr.write = capture(err, stderrWrite);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = undefined;
  }
}

describe('biilive schema push (AppSync control plane mocked: aws-sdk-client-mock)', () => {
  const appsync = mockClient(AppSyncClient);
  let dir: string;
  beforeEach(() => {
    appsync.reset();
    dir = mkdtempSync(join(tmpdir(), 'biilive-schema-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  after(() => appsync.restore());

  test('sends the schema file\'s exact bytes, then polls GetSchemaCreationStatus until SUCCESS', async () => {
    appsync.on(StartSchemaCreationCommand).resolves({ status: 'PROCESSING' });
    appsync
      .on(GetSchemaCreationStatusCommand)
      .resolvesOnce({ status: 'PROCESSING' })
      .resolvesOnce({ status: 'PROCESSING' })
      .resolves({ status: 'SUCCESS', details: 'Successfully created schema with 31 types.' });

    const r = await biilive('schema', 'push', '--api-id', API_ID, '--region', 'eu-west-3', '--poll-interval', '0.01');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'the deployed schema has no warning either');

    const starts = appsync.commandCalls(StartSchemaCreationCommand);
    assert.equal(starts.length, 1);
    const input = starts[0].args[0].input;
    assert.deepEqual(Object.keys(input).sort(), ['apiId', 'definition']);
    assert.equal(input.apiId, API_ID);
    // A Uint8Array of the file as it is: the SDK encodes the blob, nothing is base64-encoded by hand.
    assert.ok(input.definition instanceof Uint8Array);
    assert.ok(Buffer.from(input.definition!).equals(readFileSync(SCHEMA_FILE)));
    assert.equal(await starts[0].thisValue.config.region(), 'eu-west-3');

    const polls = appsync.commandCalls(GetSchemaCreationStatusCommand);
    assert.equal(polls.length, 3, 'PROCESSING, PROCESSING, SUCCESS');
    for (const poll of polls) assert.deepEqual(poll.args[0].input, { apiId: API_ID });
    assert.match(r.stdout, /PROCESSING\n {2}SUCCESS\n/);
    assert.match(r.stdout, /schema SUCCESS on AppSync API abcdefghijklmnopqrstuvwxyz in eu-west-3: Successfully created schema with 31 types\./);
  });

  test('AppSync\'s own failure text reaches stderr, exit 1', async () => {
    appsync.on(StartSchemaCreationCommand).resolves({ status: 'PROCESSING' });
    appsync.on(GetSchemaCreationStatusCommand).resolvesOnce({ status: 'PROCESSING' }).resolves({ status: 'FAILED', details: APPSYNC_PARSE_FAILURE });

    const r = await biilive('schema', 'push', '--api-id', API_ID, '--poll-interval', '0.01');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `biilive: AppSync rejected the schema (FAILED): ${APPSYNC_PARSE_FAILURE}\n`);
    assert.equal(appsync.commandCalls(GetSchemaCreationStatusCommand).length, 2);
  });

  test('a schema AppSync would reject is refused before any call (exit 2), problems listed with their lines', async () => {
    const file = join(dir, 'bad.graphql');
    writeFileSync(file, 'type Query { kind: Kind }\nenum Kind {\n  "described"\n  A\n}\nscalar AWSDate\n');
    const r = await biilive('schema', 'push', '--api-id', API_ID, '--file', file);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.graphql:3:3 error enum-value-description: /);
    assert.match(r.stderr, /bad\.graphql:6:1 error aws-scalar-redefined: /);
    assert.match(r.stderr, /biilive: schema push refused: 2 problem\(s\) above that AppSync would reject; nothing was sent\n$/);
    assert.equal(appsync.calls().length, 0);

    // Warnings alone are printed and do not stop the push.
    writeFileSync(file, '"""\nBlock.\n"""\ntype Query { a: String }\n');
    appsync.on(StartSchemaCreationCommand).resolves({ status: 'SUCCESS' });
    appsync.on(GetSchemaCreationStatusCommand).resolves({ status: 'SUCCESS' });
    const warned = await biilive('schema', 'push', '--api-id', API_ID, '--file', file, '--poll-interval', '0.01');
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /bad\.graphql:1:1 warning block-string-description: /);
    assert.equal(appsync.commandCalls(StartSchemaCreationCommand).length, 1);
  });

  test('schema check, print and --dry-run call nothing', async () => {
    const check = await biilive('schema', 'check');
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /schema\.graphql: 0 error\(s\), 0 warning\(s\)\n$/);
    const dry = await biilive('schema', 'push', '--api-id', API_ID, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: .*schema\.graphql \(\d+ bytes\) passes the check; it would be sent to AppSync API abcdefghijklmnopqrstuvwxyz in eu-west-3\n$/);
    const print = await biilive('schema', 'print');
    assert.equal(print.code, 0, print.stderr);
    assert.equal(print.stdout, readFileSync(SCHEMA_FILE, 'utf8'));
    assert.equal(appsync.calls().length, 0);
  });

  test('control-plane errors (unknown API id) exit 1 with AppSync\'s error name and message', async () => {
    appsync.on(StartSchemaCreationCommand).rejects(new NotFoundException({ message: `GraphQL API ${API_ID} not found.`, $metadata: {} }));
    const r = await biilive('schema', 'push', '--api-id', API_ID);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `biilive: schema push failed: NotFoundException: GraphQL API ${API_ID} not found.\n`);
    assert.equal(appsync.commandCalls(GetSchemaCreationStatusCommand).length, 0);
  });

  test('the wait is bounded: still PROCESSING at --timeout is a failure (exit 1) that says how to look later', async () => {
    appsync.on(StartSchemaCreationCommand).resolves({ status: 'PROCESSING' });
    appsync.on(GetSchemaCreationStatusCommand).resolves({ status: 'PROCESSING' });
    const r = await biilive('schema', 'push', '--api-id', API_ID, '--poll-interval', '0.01', '--timeout', '0.1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^biilive: AppSync schema creation still PROCESSING after \d+ s; see `aws appsync get-schema-creation-status --api-id abcdefghijklmnopqrstuvwxyz`\n$/);
    assert.ok(appsync.commandCalls(GetSchemaCreationStatusCommand).length >= 1);
  });

  test('bad input is a usage error (exit 2) and calls nothing', async () => {
    const runs = [
      await biilive('schema', 'push'),
      await biilive('schema', 'push', '--api-id', ' '),
      await biilive('schema', 'push', '--api-id', API_ID, '--poll-interval', 'soon'),
      await biilive('schema', 'push', '--api-id', API_ID, '--file', join(dir, 'missing.graphql')),
    ];
    assert.deepEqual(
      runs.map((r) => r.code),
      [2, 2, 2, 2],
    );
    assert.match(runs[0].stderr, /required option '--api-id <id>' not specified/);
    assert.match(runs[1].stderr, /--api-id is empty/);
    assert.match(runs[2].stderr, /must be a positive number of seconds/);
    assert.match(runs[3].stderr, /^biilive: cannot read the schema file .*missing\.graphql: ENOENT/);
    assert.equal(appsync.calls().length, 0);
  });
});

describe('biilive cdn invalidate --distribution-id (CloudFront control plane mocked: aws-sdk-client-mock)', () => {
  const cloudfront = mockClient(CloudFrontClient);
  const created = (id: string, paths: string[]) => ({
    Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${DISTRIBUTION_ID}/invalidation/${id}`,
    Invalidation: {
      Id: id,
      Status: 'InProgress',
      CreateTime: new Date('2026-05-01T10:00:00Z'),
      InvalidationBatch: { Paths: { Quantity: paths.length, Items: paths }, CallerReference: 'x' },
    },
  });
  const status = (id: string, value: string) => ({ Invalidation: { Id: id, Status: value, CreateTime: new Date(), InvalidationBatch: undefined } });
  beforeEach(() => cloudfront.reset());
  after(() => cloudfront.restore());

  test('CreateInvalidation gets Paths {Quantity, Items} and a CallerReference unique to each call', async () => {
    cloudfront.on(CreateInvalidationCommand).resolves(created('I2J0I21PCUYOIK', ['/profile-photos/*', '/fotos/u1/full_1.jpg']));
    const first = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', '/profile-photos/*', '--paths', '/fotos/u1/full_1.jpg', '--paths', '/profile-photos/*');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `CloudFront invalidation I2J0I21PCUYOIK (InProgress) on ${DISTRIBUTION_ID}\n  /profile-photos/*\n  /fotos/u1/full_1.jpg\n`);
    const second = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', '/profile-photos/*', '--json');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).id, 'I2J0I21PCUYOIK');

    const calls = cloudfront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input);
    assert.equal(calls.length, 2);
    const [a, b] = calls;
    assert.equal(a.DistributionId, DISTRIBUTION_ID);
    // Deduplicated, as CloudFront counts each path.
    assert.deepEqual(a.InvalidationBatch!.Paths, { Quantity: 2, Items: ['/profile-photos/*', '/fotos/u1/full_1.jpg'] });
    assert.deepEqual(b.InvalidationBatch!.Paths, { Quantity: 1, Items: ['/profile-photos/*'] });
    assert.match(a.InvalidationBatch!.CallerReference!, /^biilive-[0-9a-f-]{36}$/);
    assert.notEqual(a.InvalidationBatch!.CallerReference, b.InvalidationBatch!.CallerReference, 'a reused reference would replay the first batch');
    assert.equal(cloudfront.commandCalls(GetInvalidationCommand).length, 0, 'no --wait, no polling');
  });

  test('--wait polls GetInvalidation (the SDK waiter) until Completed', async () => {
    cloudfront.on(CreateInvalidationCommand).resolves(created('I3', ['/videos/*']));
    cloudfront
      .on(GetInvalidationCommand)
      .resolvesOnce(status('I3', 'InProgress'))
      .resolvesOnce(status('I3', 'InProgress'))
      .resolves(status('I3', 'Completed'));
    const r = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', '/videos/*', '--wait', '--poll-interval', '0.01');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /waiting for I3 to complete\.\.\.\ninvalidation I3 Completed\n$/);
    const polls = cloudfront.commandCalls(GetInvalidationCommand);
    assert.equal(polls.length, 3);
    for (const poll of polls) assert.deepEqual(poll.args[0].input, { DistributionId: DISTRIBUTION_ID, Id: 'I3' });
  });

  test('--wait is bounded by --timeout (exit 1, the invalidation goes on in CloudFront)', async () => {
    cloudfront.on(CreateInvalidationCommand).resolves(created('I4', ['/fotos/*']));
    cloudfront.on(GetInvalidationCommand).resolves(status('I4', 'InProgress'));
    const r = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', '/fotos/*', '--wait', '--poll-interval', '0.01', '--timeout', '0.2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^biilive: CloudFront invalidation failed: InvalidationWaitError: invalidation I4 was not Completed within 0\.2 s \(it goes on in CloudFront\)/);
    assert.ok(cloudfront.commandCalls(GetInvalidationCommand).length >= 1);
  });

  test('bad paths are refused before any call (exit 2), as CloudFront answers InvalidArgument', async () => {
    const noSlash = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', 'profile-photos/*');
    const innerStar = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', '/fotos/*/full.jpg');
    const empty = await biilive('cdn', 'invalidate', '--distribution-id', '', '--paths', '/fotos/*');
    assert.deepEqual([noSlash.code, innerStar.code, empty.code], [2, 2, 2]);
    assert.match(noSlash.stderr, /cdn invalidate refused \(BadRequestException\): each path must start with "\/"/);
    assert.match(innerStar.stderr, /"\*" must be the last character of a path: \/fotos\/\*\/full\.jpg/);
    assert.match(empty.stderr, /--distribution-id is empty/);
    assert.equal(cloudfront.calls().length, 0);
  });

  test('CloudFront\'s errors exit 1 with its error name and message', async () => {
    cloudfront.on(CreateInvalidationCommand).rejects(new NoSuchDistribution({ message: 'The specified distribution does not exist.', $metadata: {} }));
    const r = await biilive('cdn', 'invalidate', '--distribution-id', DISTRIBUTION_ID, '--paths', '/fotos/*');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'biilive: CloudFront invalidation failed: NoSuchDistribution: The specified distribution does not exist.\n');
  });

  test('without --distribution-id it invalidates the embedded CDN as before, and calls CloudFront never', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'biilive-cdn-'));
    try {
      const r = await biilive('cdn', 'invalidate', '--paths', '/fotos/*', '--data-dir', dataDir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^invalidation I1 created at \S+\n {2}\/fotos\/\*\n$/);
      const waitAlone = await biilive('cdn', 'invalidate', '--paths', '/fotos/*', '--data-dir', dataDir, '--wait');
      assert.equal(waitAlone.code, 2);
      assert.match(waitAlone.stderr, /--wait needs --distribution-id/);
      assert.equal(cloudfront.calls().length, 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** One user item in DynamoDB JSON, with every attribute type the tables store. */
const USER_ITEM: Record<string, AttributeValue> = {
  userId: { S: 'user123' },
  nickname: { S: 'ana_b' },
  ciudad: { S: 'Bogotá' },
  seguidores: { N: '3' },
  puntos: { N: '1250' },
  isOnline: { BOOL: false },
  lastSeen: { NULL: true },
  badges: { L: [{ S: 'early' }, { N: '2' }] },
  settings: { M: { theme: { S: 'dark' }, volume: { N: '7' } } },
};
const USER_PLAIN = {
  userId: 'user123',
  nickname: 'ana_b',
  ciudad: 'Bogotá',
  seguidores: 3,
  puntos: 1250,
  isOnline: false,
  lastSeen: null,
  badges: ['early', 2],
  settings: { theme: 'dark', volume: 7 },
};
const AWS_KEY = '{"userId":{"S":"user123"}}';
const MISSING_KEY = '{"userId":{"S":"nobody"}}';

/** Parses `aws dynamodb get-item`-style output, checking the CLI's 4-space layout first. */
function awsCliItem(stdout: string): Record<string, AttributeValue> {
  assert.match(stdout, /^\{\n {4}"Item": \{\n {8}"/);
  const parsed = JSON.parse(stdout) as { Item: Record<string, AttributeValue> };
  assert.deepEqual(Object.keys(parsed), ['Item']);
  return parsed.Item;
}

describe('biilive db get-item in the AWS CLI form, on the embedded SQLite store (child processes)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'biilive-getitem-'));
    const tables = await openStore(loadConfig({ flags: { dataDir } }), { clock: systemClock });
    try {
      await tables.put({ table: 'BIILIVEDB-USERS', item: USER_PLAIN });
    } finally {
      await tables.close();
    }
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('prints {"Item": ...} in DynamoDB JSON, nothing for a missing item, plain JSON with --plain; the positional form still works', async () => {
    const getItem = (...args: string[]) => runCli(['db', 'get-item', ...args, '--data-dir', dataDir], childEnv());
    const [found, missing, plain, plainMissing, positional] = await Promise.all([
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', AWS_KEY),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', MISSING_KEY),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', AWS_KEY, '--plain'),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', MISSING_KEY, '--plain'),
      getItem('BIILIVEDB-USERS', '{"userId":"user123"}'),
    ]);
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual(awsCliItem(found.stdout), USER_ITEM);
    assert.equal(missing.code, 0, missing.stderr);
    assert.equal(missing.stdout, '', 'the AWS CLI prints nothing for a missing item');
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout), USER_PLAIN);
    assert.equal(plainMissing.stdout.trim(), 'null');
    assert.equal(positional.code, 0, positional.stderr);
    assert.deepEqual(JSON.parse(positional.stdout), USER_PLAIN);
  });

  test('bad JSON, a bad key shape or a half-given form: one clear line, exit 2', async () => {
    const getItem = (...args: string[]) => runCli(['db', 'get-item', ...args, '--data-dir', dataDir], childEnv());
    const [badJson, plainShape, setType, noKey, both, unknownTable, wrongAttr] = await Promise.all([
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', '{"userId":{"S":"user123"}'),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', '{"userId":"user123"}'),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', '{"userId":{"SS":["a"]}}'),
      getItem('--table-name', 'BIILIVEDB-USERS'),
      getItem('BIILIVEDB-USERS', '{"userId":"x"}', '--table-name', 'BIILIVEDB-USERS', '--key', AWS_KEY),
      getItem('--table-name', 'NO-SUCH-TABLE', '--key', AWS_KEY),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', '{"id":{"S":"user123"}}'),
    ]);
    const cases = { badJson, plainShape, setType, noKey, both, unknownTable, wrongAttr };
    for (const [name, r] of Object.entries(cases)) {
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '', name);
      assert.match(r.stderr, /^biilive: [^\n]+\n$/, `${name}: one line, no stack trace: ${r.stderr}`);
    }
    assert.match(badJson.stderr, /--key must be a JSON object in DynamoDB JSON, e\.g\. '\{"userId":\{"S":"user123"\}\}'/);
    assert.match(plainShape.stderr, /--key attribute userId must be \{"S":"\.\.\."\} or \{"N":"\.\.\."\}/);
    assert.match(setType.stderr, /--key attribute userId must be/);
    assert.match(noKey.stderr, /--table-name and --key go together/);
    assert.match(both.stderr, /either <table> <key> or --table-name and --key/);
    assert.match(unknownTable.stderr, /unknown table NO-SUCH-TABLE; the tables are BIILIVEDB-USERS, /);
    assert.match(wrongAttr.stderr, /userId/);
  });
});

describe('biilive db get-item in the AWS CLI form, on DynamoDB Local (tables by `db init`)', () => {
  let ddb: DynamoLocal;
  let raw: DynamoDBClient;
  const prefix = `getitem${randomBytes(3).toString('hex')}-`;
  const env = () => childEnv({ BIILIVE_DYNAMODB_TABLE_PREFIX: prefix });
  const store = () => ['--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint];

  before(async () => {
    ddb = await startDynamoLocal();
    raw = new DynamoDBClient(localClientOptions(ddb.endpoint));
    const init = await runCli(['db', 'init', ...store()], env());
    assert.equal(init.code, 0, init.stderr);
    await raw.send(new PutItemCommand({ TableName: `${prefix}BIILIVEDB-USERS`, Item: USER_ITEM }));
  });
  after(async () => {
    raw?.destroy();
    await ddb?.stop();
  });

  test('the item written with PutItem comes back exactly, by its configured or its prefixed DynamoDB table name', async () => {
    const getItem = (...args: string[]) => runCli(['db', 'get-item', ...args, ...store()], env());
    const [byName, byPhysicalName, missing, badKey] = await Promise.all([
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', AWS_KEY),
      getItem('--table-name', `${prefix}BIILIVEDB-USERS`, '--key', AWS_KEY),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', MISSING_KEY),
      getItem('--table-name', 'BIILIVEDB-USERS', '--key', '{"userId":{"N":"12"}}'),
    ]);
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(awsCliItem(byName.stdout), USER_ITEM);
    assert.equal(byPhysicalName.code, 0, byPhysicalName.stderr);
    assert.deepEqual(awsCliItem(byPhysicalName.stdout), USER_ITEM);
    assert.equal(missing.code, 0, missing.stderr);
    assert.equal(missing.stdout, '');
    // A number where the table's key is a string: refused before the call, one line, exit 2.
    assert.equal(badKey.code, 2, badKey.stderr);
    assert.equal(badKey.stderr, 'biilive: --key attribute userId is N, but BIILIVEDB-USERS declares it S\n');
  });
});
