/**
 * Two `biilive serve` replicas (child processes, own ports, own data dirs) on one DynamoDB Local:
 * everything they share goes through the tables (pool ids, API key, signing keys, users,
 * sessions, counters, stream checkpoints and shard leases). Behind a load balancer they share one
 * public URL; here BIILIVE_ISSUER plays that part, so tokens name the same issuer on both.
 *
 * Crash: replica A (the holder of the counters consumer's shard leases) is SIGKILLed in the middle
 * of a burst of follows. Every acknowledged follow must be stored, B must take the leases over
 * once they expire (10 s, the consumer's default: app.ts passes no lease settings), and follows
 * made through B afterwards must still reach the counters, which converge to the stored graph.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { loadConfig } from '../../src/config/load.ts';
import { createDynamoTables } from '../../src/adapters/dynamodb/dynamodb-tables.ts';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { systemClock } from '../../src/ports/clock.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { LOCAL_CREDENTIALS, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { RawClient } from '../support/realtime-client.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { childEnv, runCli, spawnServe, type ServeInfo, type ServeProcess } from '../support/server.ts';

const PASSWORD = 'R3plica-Passw0rd!';
const ISSUER = 'https://replicas.biilive.test/pool';
const LEASES = 'LEASE#UpdateUserCounters';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;

describe('two replicas on one DynamoDB Local', () => {
  let ddb: DynamoLocal;
  let tables: Tables;
  const prefix = `rep${randomBytes(3).toString('hex')}-`;
  const dirs = [mkdtempSync(join(tmpdir(), 'biilive-replica-a-')), mkdtempSync(join(tmpdir(), 'biilive-replica-b-'))];
  const names = loadConfig({}).tables;
  let busArgs: string[] = [];
  let busSkip: string | undefined;
  let a: ServeProcess;
  let b: ServeProcess;
  let A: ServeInfo;
  let B: ServeInfo;
  const cognito = new Map<ServeInfo, CognitoIdentityProviderClient>();
  const ids: Record<string, string> = {};
  const tokens: Record<string, { access: string; refresh: string }> = {};

  let s3: S3TestServer;
  // s3rver only accepts its own key; DynamoDB Local (sharedDb) accepts any.
  const env = () =>
    childEnv({
      BIILIVE_DYNAMODB_TABLE_PREFIX: prefix,
      BIILIVE_ISSUER: ISSUER,
      BIILIVE_BUS_PREFIX: `biilive-test-${prefix}`,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    });
  const bucket = `media-${prefix.replace(/[^a-z0-9]/g, '')}`;
  const storeArgs = (mediaBucket = bucket) => [
    '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint,
    '--media', 's3', '--s3-endpoint', s3.endpoint, '--s3-path-style', '--bucket', mediaBucket,
  ];
  const start = (dir: string) =>
    spawnServe([...storeArgs(), '--data-dir', dir, '--port', '0', '--auto-confirm', '--log-level', 'warn', ...busArgs], env());
  const idp = (r: ServeInfo) => {
    if (!cognito.has(r)) {
      cognito.set(r, new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: r.cognitoEndpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 }));
    }
    return cognito.get(r)!;
  };
  const signInOn = async (r: ServeInfo, username: string) => {
    const out = await idp(r).send(
      new InitiateAuthCommand({ ClientId: r.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }),
    );
    return { access: out.AuthenticationResult!.AccessToken!, refresh: out.AuthenticationResult!.RefreshToken! };
  };
  const gql = async (r: ServeInfo, query: string, variables: Record<string, unknown>, auth: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth === 'key') headers['x-api-key'] = r.apiKey;
    else headers.authorization = auth;
    const res = await fetch(r.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, json: (await res.json()) as { data?: Record<string, Json>; errors?: Array<{ errorType: string }> } };
  };
  const data = async (r: ServeInfo, query: string, variables: Record<string, unknown>, auth: string) => {
    const out = await gql(r, query, variables, auth);
    assert.equal(out.json.errors, undefined, JSON.stringify(out.json.errors));
    return out.json.data!;
  };
  const FOLLOW = 'mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId } }';
  const COUNTERS = 'query C($id: ID!) { getUser(userId: $id) { seguidores siguiendo } }';
  const IS_FOLLOWING = 'query I($a: ID!, $b: ID!) { isFollowing(followerId: $a, followedId: $b) }';

  /** Lease items of the counters consumer, read straight from the system table. */
  const leases = async () =>
    (await tables.query({ table: names.system, partition: LEASES, consistent: true })).items.map((i) => ({ shard: String(i.sk), owner: String(i.owner) }));
  const heldBy = (p: ServeProcess) => (owner: string) => owner.split(':').at(-2) === String(p.child.pid);
  const until = async (what: string, check: () => Promise<boolean>, ms = 40_000) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) if (await check()) return;
    assert.fail(`not within ${ms / 1000} s: ${what}`);
  };
  /** Counters read through `r` until they equal the stored edges of `userId` (raw queries of the social table). */
  const countersMatchEdges = (r: ServeInfo, userIds: string[]) =>
    until(`counters of ${userIds.length} users equal their stored edges`, async () => {
      for (const userId of userIds) {
        const [following, followers, counters] = await Promise.all([
          tables.query({ table: names.social, partition: userId, consistent: true, limit: 1000 }),
          tables.query({ table: names.social, index: 'GSI1', partition: userId, limit: 1000 }),
          data(r, COUNTERS, { id: userId }, 'key'),
        ]);
        const want = { seguidores: followers.items.length, siguiendo: following.items.length };
        if (JSON.stringify(counters.getUser) !== JSON.stringify(want)) return false;
      }
      return true;
    });

  before(async () => {
    [ddb, s3] = await Promise.all([startDynamoLocal(), startS3Server()]);
    tables = createDynamoTables({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, tablePrefix: prefix });
    busSkip = await busSkipReason();
    if (!busSkip) busArgs = ['--bus', 'redis', '--redis-url', 'redis://127.0.0.1:6379'];
    // Tables first; without its bucket a replica still refuses to start; `db init --media s3` creates it.
    const tablesOnly = await runCli(['db', 'init', '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint], env());
    assert.equal(tablesOnly.code, 0, tablesOnly.stderr);
    const noBucket = await runCli(['serve', ...storeArgs(), '--port', '0', '--data-dir', dirs[0], '--log-level', 'warn'], env());
    assert.equal(noBucket.code, 2, noBucket.stderr);
    assert.match(noBucket.stderr, new RegExp(`bucket ${bucket} does not exist`));
    const init = await runCli(['db', 'init', ...storeArgs()], env());
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, new RegExp(`media bucket ${bucket} ready`));
    // A first, until it holds the stream's leases; then B, which must wait for them.
    a = start(dirs[0]);
    A = await a.ready;
    await until('replica A holds the counters shard leases', async () => (await leases()).some((l) => heldBy(a)(l.owner)));
    b = start(dirs[1]);
    B = await b.ready;
  });
  after(async () => {
    for (const c of cognito.values()) c.destroy();
    await Promise.all([a?.stop(), b?.stop()]);
    await tables?.close();
    await ddb?.stop();
    await s3?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('both print the same pool id, client id and API key; the data dirs hold nothing the other needs', () => {
    assert.notEqual(A.graphqlUrl, B.graphqlUrl);
    assert.deepEqual([B.userPoolId, B.clientId, B.apiKey], [A.userPoolId, A.clientId, A.apiKey]);
    // The runtime file and the data dir's lock; no store, no keys.
    for (const dir of dirs) assert.deepEqual(readdirSync(dir), ['serve.lock', 'server.json']);
  });

  test('sign-up on A, sign-in on B; tokens and refresh tokens of either replica work on the other', async () => {
    for (const [name, via] of [['ana', A], ['beto', B], ['caro', A], ['dani', B]] as const) {
      const up = await idp(via).send(
        new SignUpCommand({ ClientId: via.clientId, Username: name, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `${name}@example.com` }, { Name: 'nickname', Value: name }] }),
      );
      assert.equal(up.UserConfirmed, true);
      ids[name] = up.UserSub!;
    }
    const onB = await signInOn(B, 'ana');
    const onA = await signInOn(A, 'beto');
    tokens.ana = onB;
    tokens.beto = onA;
    for (const name of ['caro', 'dani']) tokens[name] = await signInOn(name === 'caro' ? B : A, name);
    for (const r of [A, B]) {
      assert.deepEqual((await data(r, '{ me { userId nickname } }', {}, onB.access)).me, { userId: ids.ana, nickname: 'ana' });
      assert.deepEqual((await data(r, '{ me { userId } }', {}, onA.access)).me, { userId: ids.beto });
    }
    const refreshed = await idp(B).send(
      new InitiateAuthCommand({ ClientId: B.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: onA.refresh } }),
    );
    assert.deepEqual((await data(A, '{ me { userId } }', {}, refreshed.AuthenticationResult!.AccessToken!)).me, { userId: ids.beto });
    // A wrong password is refused on both (the lockout state is shared too, but not provoked here).
    await assert.rejects(idp(B).send(new InitiateAuthCommand({ ClientId: B.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'beto', PASSWORD: 'Wr0ng-Passw0rd!' } })), { name: 'NotAuthorizedException' });
  });

  test('a follow through A shows in the counters read through B', async () => {
    await data(A, FOLLOW, { id: ids.beto }, tokens.ana.access);
    assert.equal((await data(B, IS_FOLLOWING, { a: ids.ana, b: ids.beto }, 'key')).isFollowing, true);
    await until('getUser through B shows the follow', async () => {
      const [beto, ana] = await Promise.all([data(B, COUNTERS, { id: ids.beto }, 'key'), data(B, COUNTERS, { id: ids.ana }, 'key')]);
      return beto.getUser.seguidores === 1 && ana.getUser.siguiendo === 1;
    });
  });

  test('a message sent through A reaches a subscriber on B (Redis bus)', async (t) => {
    if (busSkip) return t.skip(busSkip);
    const header = { host: new URL(B.graphqlUrl).host, Authorization: tokens.ana.access };
    const c = await RawClient.connect(B.realtimeUrl, { header });
    try {
      assert.equal((await c.init()).type, 'connection_ack');
      const q = 'subscription($r: ID) { onMessageReceived(receiverId: $r) { senderId receiverId message } }';
      assert.equal((await c.start('m', q, { r: ids.ana })).type, 'start_ack');
      const sent = await data(A, 'mutation($r: ID!) { sendMessage(receiverId: $r, message: "across replicas") { senderId receiverId message } }', { r: ids.ana }, tokens.beto.access);
      const frame = await c.nextOfType('data', 'm', 10_000);
      assert.deepEqual(frame.payload, { data: { onMessageReceived: sent.sendMessage } });
    } finally {
      c.ws.terminate();
    }
  });

  test('SIGKILL of A mid-burst: nothing acknowledged is lost; B takes the shard leases over; counters converge', async (t) => {
    // Targets: profiles written straight into the tables (sign-ups hash passwords: too slow for many).
    const users = new UsersService({ tables, tableNames: names, clock: systemClock, limits: loadConfig({}).limits });
    const targets = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all(targets.map((sub, i) => users.createProfile({ sub, username: `target_${i}`, attributes: { nickname: `target_${i}` } })));
    const followers = ['ana', 'beto', 'caro', 'dani'];
    const pairs = followers.flatMap((f) => targets.map((t) => ({ follower: f, target: t })));
    const [burst, later] = [pairs.slice(0, 80), pairs.slice(80)];

    assert.ok((await leases()).every((l) => heldBy(a)(l.owner)), 'before the crash A holds every lease');

    // The burst through A, 8 at a time; A is killed once 25 follows were acknowledged.
    const acked: typeof burst = [];
    let failed = 0;
    let next = 0;
    let killing: Promise<void> | undefined;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < burst.length) {
          const p = burst[next++];
          try {
            const r = await gql(A, FOLLOW, { id: p.target }, tokens[p.follower].access);
            if (r.status === 200 && r.json.data?.followUser) acked.push(p);
            else failed++;
          } catch {
            failed++; // connection refused / reset: not acknowledged, may or may not be stored
          }
          if (acked.length >= 25 && !killing) killing = a.kill();
        }
      }),
    );
    await killing;
    assert.equal(a.child.signalCode, 'SIGKILL');
    assert.ok(acked.length >= 25 && failed > 0, `acked ${acked.length}, failed ${failed}`);
    t.diagnostic(`burst through A: ${acked.length} acknowledged, ${failed} failed by the kill, ${burst.length - acked.length - failed} never sent`);

    // Nothing acknowledged was lost.
    for (const p of acked) {
      assert.equal((await data(B, IS_FOLLOWING, { a: ids[p.follower], b: p.target }, 'key')).isFollowing, true);
    }

    // B takes over every lease once A's expire, and resumes from A's checkpoints.
    const killedAt = Date.now();
    await until('replica B holds every counters shard lease', async () => {
      const now = await leases();
      return now.length > 0 && now.every((l) => heldBy(b)(l.owner));
    });

    t.diagnostic(`B held every lease ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
    // Follows through B after the crash: only B's consumer can count them.
    for (const p of later) await data(B, FOLLOW, { id: p.target }, tokens[p.follower].access);
    await countersMatchEdges(B, [...targets, ...followers.map((f) => ids[f])]);
    // dani followed only through B, after the crash.
    assert.deepEqual((await data(B, COUNTERS, { id: ids.dani }, 'key')).getUser, { seguidores: 0, siguiendo: 30 });
  });
});

/** Why the messaging case cannot run here, or undefined when it can. */
async function busSkipReason(): Promise<string | undefined> {
  const help = await runCli(['serve', '--help']);
  if (!/--bus\b/.test(help.stdout)) return '`biilive serve` has no --bus flag yet (the realtime/bus wiring has not landed in app.ts)';
  const reachable = await new Promise<boolean>((ok) => {
    const s = connect(6379, '127.0.0.1', () => {
      s.destroy();
      ok(true);
    });
    s.on('error', () => ok(false));
  });
  return reachable ? undefined : 'no Redis on 127.0.0.1:6379';
}
