/**
 * Outages of a scaled-out deployment's dependencies, on loopback: two `biilive serve` replicas on
 * DynamoDB Local (tables and streams), s3rver (media) and a private Redis (the bus). Under a light,
 * bounded load (two clients, each one request at a time, a few per second), each dependency is stopped
 * for 10 s and started again. Must hold, for each:
 * - the replicas stay up; every answer comes within HANG_BOUND_MS, and every error is typed in its
 *   protocol's shape (GraphQL errorType, Cognito __type, S3 XML Code), never a 5xx without a body;
 * - they recover without a restart (time to recover measured from the dependency being back);
 * - no acknowledged write is lost (messages by client id, follows) and, once the stream consumer
 *   caught up from its checkpoint, the counters drift by zero (`biilive doctor counters`);
 * - no unhandled promise rejection, nothing but JSON log lines on stderr.
 * Last, with DynamoDB down, SIGTERM: each replica exits within its shutdown bound.
 * The table of what clients saw is printed as `# outage ...` lines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { startRedisServer, type RedisTestServer } from '../support/redis-server.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { RawClient } from '../support/realtime-client.ts';
import { childEnv, runCli, spawnServe, type ServeInfo, type ServeProcess } from '../support/server.ts';

const HANG_BOUND_MS = 25_000;
const OUTAGE_MS = 10_000;
const RECOVERY_BOUND_MS = 90_000;
const SHUTDOWN_BOUND_MS = 5_000;
const PASSWORD = 'Corr3ct!horse';
const USERS = ['ana', 'ben', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal'];

type Kind = 'sendMessage' | 'followUser' | 'getUser' | 'signIn' | 'cdnGet';
interface Outcome {
  kind: Kind;
  ok: boolean;
  /** What the client saw when not ok: the typed error, or 'hang' / 'untyped <status>'. */
  seen?: string;
  at: number;
}

describe('dependency outages under light load (two replicas)', () => {
  let ddb: DynamoLocal;
  let s3: S3TestServer;
  let redis: RedisTestServer;
  const prefix = `o${randomBytes(3).toString('hex')}-`;
  const bucket = `out-${prefix.replace(/[^a-z0-9]/g, '')}`;
  const dirs = [mkdtempSync(join(tmpdir(), 'biilive-out-a-')), mkdtempSync(join(tmpdir(), 'biilive-out-b-'))];
  const replicas: ServeProcess[] = [];
  const infos: ServeInfo[] = [];
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const acked = { messages: new Set<string>(), follows: new Set<string>() };
  const table: string[] = [];
  let subscriber: RawClient;
  let seq = 0;

  const env = () =>
    childEnv({
      BIILIVE_DYNAMODB_TABLE_PREFIX: prefix,
      BIILIVE_ISSUER: 'https://outages.biilive.test/pool',
      BIILIVE_BUS_PREFIX: `biilive-test-${prefix}`,
      BIILIVE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_BOUND_MS),
      // Every CDN read goes to S3 (no hot cache), so an S3 outage is visible.
      BIILIVE_MEDIA_CDN_CACHE_MAX_BYTES: '0',
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    });
  const storeArgs = () => [
    '--store', 'dynamodb', '--dynamodb-endpoint', ddb.endpoint,
    '--media', 's3', '--s3-endpoint', s3.endpoint, '--s3-path-style', '--bucket', bucket,
  ];

  /** A request that must be answered within HANG_BOUND_MS; the answer's typed error if any. */
  async function call(url: string, init: RequestInit): Promise<{ status: number; text: string } | 'hang'> {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_BOUND_MS) });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') return 'hang';
      throw err;
    }
  }
  /** '' when fine, else the typed error the body carries (or 'untyped <status>' when it carries none). */
  function typedError(r: { status: number; text: string }): string {
    let json: { errors?: Array<{ errorType?: string | null }>; __type?: string } | undefined;
    try {
      json = JSON.parse(r.text) as typeof json;
    } catch {
      const code = /<Code>([^<]+)<\/Code>/.exec(r.text)?.[1];
      return r.status < 400 ? '' : code ? `S3 ${code} (${r.status})` : `untyped ${r.status}`;
    }
    if (json?.__type) return `Cognito ${json.__type} (${r.status})`;
    const gqlType = json?.errors?.[0]?.errorType;
    if (json?.errors?.length) return gqlType ? `GraphQL ${gqlType} (${r.status})` : `untyped GraphQL error (${r.status})`;
    return r.status >= 500 ? `untyped ${r.status}` : '';
  }
  const gql = (r: ServeInfo, query: string, variables: object, auth: Record<string, string>) =>
    call(r.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query, variables }) });
  const cognito = (r: ServeInfo, action: string, body: object) =>
    call(r.cognitoEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
      body: JSON.stringify(body),
    });

  /** One operation of the load, through replica A or B in turn. */
  async function operate(kind: Kind): Promise<Outcome> {
    const r = infos[seq++ % 2];
    const at = Date.now();
    let res: { status: number; text: string } | 'hang';
    let onOk = () => {};
    if (kind === 'sendMessage') {
      const id = `m-${seq}`;
      res = await gql(r, 'mutation($r: ID!, $m: String!, $c: String) { sendMessage(receiverId: $r, message: $m, clientMessageId: $c) { messageId receiverId message } }', { r: ids.ben, m: id, c: id }, { authorization: tokens.ana });
      onOk = () => acked.messages.add(id);
    } else if (kind === 'followUser') {
      const [from, to] = nextEdge();
      res = await gql(r, 'mutation($id: ID!) { followUser(followedId: $id) { followedId } }', { id: ids[to] }, { authorization: tokens[from] });
      onOk = () => acked.follows.add(`${from}>${to}`);
    } else if (kind === 'getUser') {
      res = await gql(r, 'query($id: ID!) { getUser(userId: $id) { nickname } }', { id: ids.cy }, { 'x-api-key': r.apiKey });
    } else if (kind === 'signIn') {
      res = await cognito(r, 'InitiateAuth', { ClientId: r.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'dee', PASSWORD } });
    } else {
      res = await call(`${r.cognitoEndpoint}fotos/${ids.ana}/full_${1_700_000_000_000 + seq}.jpg`, {});
    }
    if (res === 'hang') return { kind, ok: false, seen: 'hang', at };
    const seen = typedError(res);
    // A CDN read of a photo that does not exist is fine when S3 answers it: 404 NoSuchKey.
    const ok = kind === 'cdnGet' ? res.status === 404 && seen.startsWith('S3 NoSuchKey') : res.status === 200 && seen === '';
    if (ok) onOk();
    return { kind, ok, seen: ok ? undefined : seen || `untyped ${res.status}`, at };
  }
  let edge = 0;
  const edges = USERS.flatMap((a) => USERS.filter((b) => b !== a).map((b) => [a, b] as const));
  const nextEdge = () => edges[edge++ % edges.length];

  const kinds: Kind[] = ['sendMessage', 'signIn', 'cdnGet', 'getUser', 'followUser', 'sendMessage', 'getUser', 'cdnGet'];
  /**
   * The light load until `until` resolves: two clients, each one request at a time with a 100 ms
   * pause, going through the kinds from different starting points. Returns every outcome.
   */
  async function load(until: Promise<unknown>): Promise<Outcome[]> {
    const out: Outcome[] = [];
    let done = false;
    void until.finally(() => (done = true));
    const client = async (offset: number) => {
      for (let i = offset; !done; i++) {
        out.push(await operate(kinds[i % kinds.length]));
        await sleep(100);
      }
    };
    await Promise.all([client(0), client(4)]);
    return out;
  }

  /** After `upAt`, until every kind affected has succeeded again: ms from upAt to the last kind's first success. */
  async function recovered(upAt: number, affected: Kind[]): Promise<{ ms: number; outcomes: Outcome[] }> {
    const outcomes: Outcome[] = [];
    const pending = new Set(affected);
    let last = upAt;
    for (let i = 0; pending.size > 0; i++) {
      assert.ok(Date.now() - upAt < RECOVERY_BOUND_MS, `not recovered within ${RECOVERY_BOUND_MS / 1000} s: ${[...pending].join(', ')} still failing`);
      const kind = [...pending][i % pending.size];
      const o = await operate(kind);
      outcomes.push(o);
      if (o.ok) {
        pending.delete(kind);
        last = Date.now();
      } else await sleep(200);
    }
    return { ms: last - upAt, outcomes };
  }

  function assertTyped(outcomes: Outcome[]): void {
    for (const o of outcomes) {
      assert.notEqual(o.seen, 'hang', `${o.kind} got no answer within ${HANG_BOUND_MS / 1000} s`);
      if (o.seen) assert.doesNotMatch(o.seen, /^untyped/, `${o.kind}: ${o.seen}`);
    }
  }
  const summary = (outcomes: Outcome[]) => {
    const counts = new Map<string, number>();
    for (const o of outcomes) if (!o.ok) counts.set(`${o.kind}: ${o.seen}`, (counts.get(`${o.kind}: ${o.seen}`) ?? 0) + 1);
    return counts.size === 0 ? 'none' : [...counts].map(([k, n]) => `${k} x${n}`).join('; ');
  };
  const alive = () => {
    for (const [i, r] of replicas.entries()) assert.equal(r.child.exitCode, null, `replica ${i} exited:\n${r.stderr().slice(-2000)}`);
  };

  /** Stops `dep` for OUTAGE_MS under load, starts it again, waits for recovery, adds the table row; returns when it was back. */
  async function outage(name: string, dep: { down(): Promise<void>; up(): Promise<void> }, affected: Kind[], expectErrors: boolean): Promise<number> {
    const baseline = await load(sleep(1500));
    assert.ok(baseline.every((o) => o.ok), `before the outage: ${summary(baseline)}`);
    await dep.down();
    const during = await load(sleep(OUTAGE_MS));
    await dep.up();
    const upAt = Date.now();
    const { ms, outcomes } = await recovered(upAt, affected);
    assertTyped([...during, ...outcomes]);
    if (expectErrors) assert.ok(during.some((o) => !o.ok), `the ${name} outage was never seen by a client`);
    else assert.ok(during.every((o) => o.ok), `requests failed while ${name} was down: ${summary(during)}`);
    alive();
    table.push(`# outage | ${name} | during: ${summary(during)} | recovered ${(ms / 1000).toFixed(1)} s after restart`);
    return upAt;
  }

  before(async () => {
    [ddb, s3, redis] = await Promise.all([startDynamoLocal({ persistent: true }), startS3Server(), startRedisServer()]);
    const init = await runCli(['db', 'init', ...storeArgs()], env());
    assert.equal(init.code, 0, init.stderr);
    for (const dir of dirs) {
      const r = spawnServe([...storeArgs(), '--bus', 'redis', '--redis-url', redis.url, '--data-dir', dir, '--port', '0', '--auto-confirm', '--log-level', 'warn'], env());
      replicas.push(r);
      infos.push(await r.ready);
    }
    for (const name of USERS) {
      const up = await cognito(infos[0], 'SignUp', { ClientId: infos[0].clientId, Username: name, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `${name}@example.com` }] });
      assert.ok(up !== 'hang' && up.status === 200, JSON.stringify(up));
      ids[name] = (JSON.parse(up.text) as { UserSub: string }).UserSub;
      const auth = await cognito(infos[0], 'InitiateAuth', { ClientId: infos[0].clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: name, PASSWORD } });
      assert.ok(auth !== 'hang' && auth.status === 200);
      tokens[name] = (JSON.parse(auth.text) as { AuthenticationResult: { AccessToken: string } }).AuthenticationResult.AccessToken;
    }
    // ben listens on B for what is sent through A (the bus between them).
    subscriber = await RawClient.connect(infos[1].realtimeUrl, { header: { host: new URL(infos[1].graphqlUrl).host, Authorization: tokens.ben } });
    assert.equal((await subscriber.init()).type, 'connection_ack');
    const q = 'subscription($r: ID) { onMessageReceived(receiverId: $r) { message } }';
    assert.equal((await subscriber.start('inbox', q, { r: ids.ben })).type, 'start_ack');
    assert.ok(await deliveredAcross('before-outages'), 'A -> B delivery works before any outage');
  });

  /** Sends `text` to ben through A; whether ben's socket on B receives it within 3 s. */
  async function deliveredAcross(text: string): Promise<boolean> {
    // Subscribers only see (and are filtered on) what the mutation selected, as on AppSync.
    const sent = await gql(infos[0], 'mutation($r: ID!, $m: String!) { sendMessage(receiverId: $r, message: $m) { messageId receiverId message } }', { r: ids.ben, m: text }, { authorization: tokens.ana });
    assert.ok(sent !== 'hang' && sent.status === 200, JSON.stringify(sent));
    return (await subscriber.next((f) => f.type === 'data' && JSON.stringify(f.payload).includes(text), 3000).catch(() => undefined)) !== undefined;
  }

  after(async () => {
    subscriber?.ws.terminate();
    await Promise.all(replicas.map((r) => r.kill()));
    await Promise.all([ddb?.stop(), s3?.stop(), redis?.stop()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`${table.join('\n')}\n`);
  });

  test('DynamoDB Local stopped for 10 s: typed errors, recovery, then every acknowledged write and zero drift', async () => {
    await outage('DynamoDB', ddb, ['sendMessage', 'followUser', 'getUser', 'signIn'], true);
  });

  test('Redis stopped for 10 s: requests unaffected; the bus resumes, A -> B subscriptions deliver again', async () => {
    const upAt = await outage('Redis', redis, ['sendMessage', 'getUser'], false);
    for (let i = 0; !(await deliveredAcross(`after-redis-${i}`)); i++) {
      assert.ok(Date.now() - upAt < RECOVERY_BOUND_MS, 'the bus never delivered again');
    }
    table.push(`# outage | Redis (bus A -> B) | subscriptions across replicas deliver again ${((Date.now() - upAt) / 1000).toFixed(1)} s after Redis was back`);
  });

  test('s3rver stopped for 10 s: CDN reads answer S3 errors, then serve again', async () => {
    await outage('S3 (s3rver)', s3, ['cdnGet'], true);
  });

  test('after the outages: no acknowledged write lost, counters without drift, no unhandled rejection', async () => {
    // Messages: every acknowledged client id, once, in the conversation.
    const seen = new Map<string, number>();
    let next: string | null = null;
    do {
      const page = await gql(infos[0], 'query($w: ID!, $n: String) { listMessages(withUserId: $w, limit: 100, nextToken: $n) { items { clientMessageId } nextToken } }', { w: ids.ben, n: next }, { authorization: tokens.ana });
      assert.ok(page !== 'hang' && page.status === 200);
      const out = (JSON.parse(page.text) as { data: { listMessages: { items: Array<{ clientMessageId: string | null }>; nextToken: string | null } } }).data.listMessages;
      for (const m of out.items) if (m.clientMessageId) seen.set(m.clientMessageId, (seen.get(m.clientMessageId) ?? 0) + 1);
      next = out.nextToken;
    } while (next);
    const lostMessages = [...acked.messages].filter((id) => !seen.has(id));
    assert.deepEqual(lostMessages, [], 'acknowledged messages lost');
    assert.ok([...seen.values()].every((n) => n === 1), 'no message stored twice');
    // Follows: every acknowledged edge exists.
    const lostFollows: string[] = [];
    for (const e of acked.follows) {
      const [a, b] = e.split('>');
      const r = await gql(infos[1], 'query($a: ID!, $b: ID!) { isFollowing(followerId: $a, followedId: $b) }', { a: ids[a], b: ids[b] }, { 'x-api-key': infos[1].apiKey });
      if (r === 'hang' || !r.text.includes('"isFollowing":true')) lostFollows.push(e);
    }
    assert.deepEqual(lostFollows, [], 'acknowledged follows lost');
    // Counters: once the stream consumer caught up from its checkpoint, zero drift.
    const started = Date.now();
    let report: { drift: unknown[]; unstable: string[] } | undefined;
    for (;;) {
      const doctor = await runCli(['doctor', 'counters', '--json', '--data-dir', dirs[0], ...storeArgs()], env());
      report = JSON.parse(doctor.stdout) as { drift: unknown[]; unstable: string[] };
      if (report.drift.length === 0 && report.unstable.length === 0) break;
      assert.ok(Date.now() - started < RECOVERY_BOUND_MS, `counters still drift: ${JSON.stringify(report.drift)}`);
      await sleep(1000);
    }
    table.push(`# outage | totals | ${acked.messages.size} messages and ${acked.follows.size} follows acknowledged, 0 lost; counter drift 0 (${((Date.now() - started) / 1000).toFixed(1)} s to catch up)`);
    for (const r of replicas) {
      const lines = r.stderr().split('\n').filter(Boolean);
      assert.ok(!lines.some((l) => /unhandled/i.test(l)), 'an unhandled promise rejection was logged');
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a log line: ${line.slice(0, 300)}`);
    }
  });

  test('with DynamoDB down, SIGTERM: each replica exits within its shutdown bound, without an unhandled rejection', async () => {
    await ddb.down();
    try {
      // Something for the shutdown to flush: ben's socket holds presence on B.
      const stops = replicas.map(async (r) => {
        const t0 = Date.now();
        await r.stop();
        return Date.now() - t0;
      });
      const took = await Promise.all(stops);
      for (const [i, ms] of took.entries()) {
        assert.ok(ms < SHUTDOWN_BOUND_MS + 5000, `replica ${i} took ${ms} ms to exit`);
        const lines = replicas[i].stderr().split('\n').filter(Boolean);
        assert.ok(!lines.some((l) => /unhandled/i.test(l)), `replica ${i} logged an unhandled rejection`);
        for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `replica ${i} crashed: ${line.slice(0, 300)}`);
      }
      table.push(`# outage | shutdown with DynamoDB down | replicas exited in ${took.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} (bound ${SHUTDOWN_BOUND_MS / 1000} s)`);
    } finally {
      await ddb.up();
    }
  });
});
