/**
 * THE DEPLOYED API, RUN LOCALLY. The AppSync API is taken out of the synthesized CloudFormation
 * template (schema, data sources, pipeline functions, resolvers and their VTL as deployed) and
 * loaded into amplify-appsync-simulator, a peer here, not a mock: it parses and evaluates the VTL,
 * runs the pipelines, enforces the schema's auth directives and groups, and serves GraphQL over HTTP.
 * Its DynamoDB data sources read DynamoDB Local tables made by `db init` (initStore); its Lambda data
 * source calls the resolver function: its esbuild bundle from cdk.out, run under Node 24 as a warm
 * Lambda container would run it. Users are created by the PostConfirmation function, counters by
 * UpdateUserCounters on the table's stream records, rankings by CalculateRankings on a scheduled
 * event: the bundles AWS would run, each with the environment the template gives it.
 *
 * Then the scenarios of test/support/api-scenarios.ts run over HTTP, and the SAME list runs
 * against the embedded server (on the same DynamoDB Local); differences are declared there.
 *
 * What the simulator does not emulate, so these tests cannot show:
 * - token signatures: it decodes JWTs without verifying them and takes the Cognito mode from an
 *   `iss` starting `https://cognito-idp.` (the tokens here are minted unsigned); AppSync verifies
 *   them against the user pool;
 * - AppSync's real-time protocol in full, and how AppSync publishes: the simulator publishes the
 *   mutation resolver's whole result to subscribers, where AppSync forwards only the fields the
 *   mutation selected (so the scenarios check that each mutation returns every field a subscriber
 *   may select when asked for it);
 * - BatchGetItem (added by test/support/appsync-simulator.ts in AppSync's result shape), AppSync's
 *   encrypted DynamoDB nextTokens (the simulator's are base64 JSON of the last key), IAM roles of
 *   the data sources, API key expiry, logging and X-Ray.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createDynamoTables } from '../../src/adapters/dynamodb/dynamodb-tables.ts';
import { recount } from '../../src/domain/social/recount.ts';
import { nicknameBucket, nicknameKey } from '../../src/domain/users/nickname.ts';
import { createCalculateRankings } from '../../src/functions/calculate-rankings/handler.ts';
import { scheduledEvent } from '../../src/functions/calculate-rankings/scheduled-event.ts';
import { toStreamEvent } from '../../src/functions/stream-event.ts';
import { systemClock } from '../../src/ports/clock.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { initStore } from '../../src/runtime/store.ts';
import {
  ADMIN,
  LEGACY,
  PASSWORD,
  STEPS,
  USERS,
  assertReply,
  expectationFor,
  isSettle,
  resolve,
  type Caller,
  type Reply,
  type Scenario,
  type Settle,
  type TargetName,
  type World,
} from '../support/api-scenarios.ts';
import { cognitoAccessToken, deployedFunctions, deployedStack, startAppSyncSimulator, type LambdaFunctions, type RunningSimulator } from '../support/appsync-simulator.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { RawClient } from '../support/realtime-client.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { replicaIdentity, signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

const SIM_PREFIX = 'sim-';
const MEDIA_BUCKET = 'biilive-simulator-media';
/** How long follow records may take to reach the counters (stream latency, the consumer's polling). */
const COUNTERS_DEADLINE_MS = 30_000;
const POLL_MS = 100;

interface Target {
  name: TargetName;
  world: World;
  call(caller: Caller, query: string, variables: Record<string, unknown> | undefined): Promise<Reply>;
  settle(kind: Settle['settle']): Promise<void>;
}

async function post(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> | undefined): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=UTF-8', ...headers }, body: JSON.stringify({ query, variables: variables ?? null }) });
  return { status: res.status, json: (await res.json()) as Reply['json'] };
}

function authHeaders(caller: Caller, apiKey: string, tokens: Record<string, string>): Record<string, string> {
  if (caller === 'key') return { 'x-api-key': apiKey };
  if (caller === 'badKey') return { 'x-api-key': `da2-${'0'.repeat(26)}` };
  if (caller === 'nobody') return {};
  return { authorization: tokens[caller] };
}

const today = () => new Date().toISOString().slice(0, 10);

/** Polls `done` until it holds; fails with what it last reported after `ms`. */
async function until(ms: number, done: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const outcome = await done();
    if (outcome === true) return;
    if (Date.now() > deadline) assert.fail(outcome);
    await new Promise((ok) => setTimeout(ok, POLL_MS));
  }
}

/** True when every user's seguidores / siguiendo equal the follow graph (the domain's recount). */
async function noDrift(tables: Tables, config: Config, world: World): Promise<true | string> {
  const { drift } = await recount({ tables, tableNames: config.tables }, { userIds: USERS.map((n) => world.ids[n]) });
  return drift.length === 0 ? true : `counters still drift: ${JSON.stringify(drift)}`;
}

/**
 * The simulator's $util.error returns null from the field and records the error, and its graphql
 * then adds "Cannot return null for non-nullable field" for the same path; AppSync reports the
 * resolver's error alone. Those echoes are dropped (only where the path has a resolver error).
 */
function withoutDuplicateNullErrors(reply: Reply): Reply {
  const errors = reply.json.errors as Array<{ errorType?: string | null; message?: string; path?: unknown }> | undefined;
  if (!errors) return reply;
  const typed = new Set(errors.filter((e) => e.errorType).map((e) => JSON.stringify(e.path)));
  const kept = errors.filter((e) => e.errorType || !/^Cannot return null for non-nullable field/.test(e.message ?? '') || !typed.has(JSON.stringify(e.path)));
  return { ...reply, json: { ...reply.json, errors: kept } };
}

/** Runs every step in order on one target, one test each. */
function runSteps(target: () => Target) {
  for (const step of STEPS) {
    if (isSettle(step)) {
      test(step.name, () => target().settle(step.settle));
      continue;
    }
    const s: Scenario = step;
    test(s.name, async () => {
      const t = target();
      const reply = await t.call(s.caller, s.query, s.variables === undefined ? undefined : resolve(s.variables, t.world));
      assertReply(reply, expectationFor(s, t.name, t.world), `${t.name}: ${s.name}`);
      if (s.save) s.save(reply.json.data, t.world);
    });
  }
}

let dynamo: DynamoLocal;
before(async () => {
  dynamo = await startDynamoLocal();
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
});
after(async () => {
  await dynamo?.stop();
});

describe('the deployed API in the AppSync simulator', () => {
  let sim: RunningSimulator;
  let s3: S3TestServer;
  let fns: LambdaFunctions;
  let tables: Tables;
  let config: Config;
  const tokens: Record<string, string> = {};
  const world: World = { ids: {} as World['ids'], saved: {}, today: today() };
  /** Stream position per shard of SOCIAL-V2, as Lambda's event source mapping keeps it. */
  const streamPositions = new Map<string, string | undefined>();

  const target = (): Target => ({
    name: 'simulator',
    world,
    call: async (caller, query, variables) => withoutDuplicateNullErrors(await post(sim.url, authHeaders(caller, sim.apiKey, tokens), query, variables)),
    settle: async (kind) => {
      if (kind === 'rankings') {
        await fns.invoke('calculateRankings', scheduledEvent(new Date(`${world.today}T00:05:00Z`), LOCAL_REGION));
        return;
      }
      // Stream records surface shortly after their write: deliver until the counters match the graph.
      await until(COUNTERS_DEADLINE_MS, async () => {
        await deliverSocialStream();
        return noDrift(tables, config, world);
      });
    },
  });

  /** The stream records written since the last delivery, in Lambda batches per shard. */
  async function deliverSocialStream(): Promise<void> {
    const table = config.tables.social;
    for (const shard of await tables.changes.listShards(table)) {
      for (;;) {
        const { records } = await tables.changes.read({ table, shardId: shard.shardId, after: streamPositions.get(shard.shardId) });
        if (records.length === 0) break;
        const event = toStreamEvent(records, { table: config.dynamodb.tablePrefix + table, shardId: shard.shardId, region: LOCAL_REGION });
        const result = (await fns.invoke('updateUserCounters', event)) as { batchItemFailures: unknown[] };
        assert.deepEqual(result.batchItemFailures, [], 'UpdateUserCounters applied the whole batch');
        streamPositions.set(shard.shardId, records[records.length - 1].sequenceNumber);
      }
    }
  }

  before(async () => {
    config = loadConfig({ flags: { store: 'dynamodb', region: LOCAL_REGION, logLevel: 'silent', dynamodb: { endpoint: dynamo.endpoint, tablePrefix: SIM_PREFIX } } });
    await initStore(config, { clock: systemClock });
    tables = createDynamoTables({ endpoint: dynamo.endpoint, region: LOCAL_REGION, tablePrefix: SIM_PREFIX });
    s3 = await startS3Server();
    const s3Client = new S3Client({ endpoint: s3.endpoint, region: LOCAL_REGION, credentials: s3.credentials, forcePathStyle: true });
    await s3Client.send(new CreateBucketCommand({ Bucket: MEDIA_BUCKET }));
    s3Client.destroy();
    const stack = await deployedStack();
    fns = deployedFunctions(stack, {
      dynamodbEndpoint: dynamo.endpoint,
      tablePrefix: SIM_PREFIX,
      region: LOCAL_REGION,
      s3: { endpoint: s3.endpoint, bucket: MEDIA_BUCKET, credentials: s3.credentials },
    });
    sim = await startAppSyncSimulator({
      template: stack.template,
      dynamodbEndpoint: dynamo.endpoint,
      tablePrefix: SIM_PREFIX,
      invoke: (_logicalId, payload) => fns.invoke('apiResolver', payload),
    });

    // Sign-up as Cognito completes it: the PostConfirmation trigger creates each profile.
    for (const name of USERS) {
      const sub = randomUUID();
      world.ids[name] = sub;
      await fns.invoke('postConfirmation', {
        version: '1',
        triggerSource: 'PostConfirmation_ConfirmSignUp',
        region: LOCAL_REGION,
        userPoolId: `${LOCAL_REGION}_TestPool1`,
        userName: name,
        callerContext: {},
        request: { userAttributes: { sub, email: `${name}@example.com`, email_verified: 'true', nickname: name, 'cognito:user_status': 'CONFIRMED' } },
        response: {},
      });
      tokens[name] = cognitoAccessToken({ sub, username: name, groups: name === ADMIN ? ['admin'] : [] });
    }
    world.ids.legacy = randomUUID();
    await tables.put({ table: config.tables.users, item: legacyItem(world.ids.legacy) });
  });

  after(async () => {
    await sim?.stop();
    await fns?.stop();
    await tables?.close();
    await s3?.stop();
  });

  test('the simulator runs the resolvers of the synthesized template, not the source table', () => {
    const fields = sim.api.resolvers.map((r) => `${r.typeName}.${r.fieldName}`);
    assert.ok(fields.includes('Query.getUser') && fields.includes('Query.listFollowers'), fields.join(', '));
    assert.equal(sim.api.defaultAuth, 'AMAZON_COGNITO_USER_POOLS');
    assert.deepEqual(sim.api.additionalAuth, ['API_KEY']);
  });

  runSteps(target);

  test('a subscriber of onMessageReceived gets what sendMessage returned (over the simulator’s WebSocket)', async () => {
    const host = new URL(sim.url).host;
    const header = { Authorization: tokens.beto, host };
    const ws = await RawClient.connect(sim.realtimeUrl, { header, via: 'query' });
    try {
      ws.send({ type: 'connection_init' });
      await ws.next((f) => f.type === 'connection_ack');
      const selection = 'conversationId timestamp messageId seq senderId receiverId message readStatus clientMessageId createdAt';
      ws.send({
        id: 'sub-1',
        type: 'start',
        payload: {
          data: JSON.stringify({ query: `subscription S($r: ID) { onMessageReceived(receiverId: $r) { ${selection} } }`, variables: { r: world.ids.beto } }),
          extensions: { authorization: header },
        },
      });
      await ws.next((f) => f.type === 'start_ack' && f.id === 'sub-1');
      const sent = await post(sim.url, { authorization: tokens.caro }, `mutation S($to: ID!) { sendMessage(receiverId: $to, message: "¿vienes?", clientMessageId: "sub-1") { ${selection} } }`, { to: world.ids.beto });
      assert.equal(sent.json.errors, undefined, JSON.stringify(sent.json.errors));
      const frame = await ws.next((f) => f.type === 'data' && f.id === 'sub-1');
      const received = (frame.payload as { data: { onMessageReceived: Record<string, unknown> } }).data.onMessageReceived;
      assert.deepEqual(received, sent.json.data.sendMessage);
      for (const field of selection.split(' ')) assert.notEqual(received[field], undefined, field);
    } finally {
      ws.ws.close();
    }
  });
});

describe('the same scenarios on the embedded server', () => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  const world: World = { ids: {} as World['ids'], saved: {}, today: today() };

  const target = (): Target => ({
    name: 'embedded',
    world,
    call: (caller, query, variables) => post(s.app.endpoints.graphqlUrl, authHeaders(caller, s.app.installation.apiKey, tokens), query, variables),
    settle: async (kind) => {
      const { tables, config } = s.app;
      if (kind === 'rankings') {
        await createCalculateRankings({ tables, tableNames: config.tables, config }).handler(scheduledEvent(new Date(`${world.today}T00:05:00Z`)));
        return;
      }
      // The server's own stream consumer applies the records; wait until no counter drifts.
      await until(COUNTERS_DEADLINE_MS, () => noDrift(tables, config, world));
    },
  });

  before(async () => {
    s = await startTestServer({ dynamodbLocal: dynamo.endpoint, rankings: { enabled: false } });
    for (const name of USERS) world.ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
    const identity = await replicaIdentity(s);
    await identity.addUserToGroup(ADMIN, 'admin');
    for (const name of USERS) tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
    world.ids.legacy = randomUUID();
    await s.app.tables.put({ table: s.app.config.tables.users, item: legacyItem(world.ids.legacy) });
  });

  after(async () => {
    await s?.stop();
  });

  runSteps(target);
});

/** A profile item as the seed's tools wrote it: no counters, puntos, nivel, isOnline or updatedAt. */
function legacyItem(userId: string) {
  return {
    userId,
    nickname: LEGACY.nickname,
    nicknameLower: nicknameKey(LEGACY.nickname),
    nicknameBucket: nicknameBucket(LEGACY.nickname),
    createdAt: LEGACY.createdAt,
  };
}
