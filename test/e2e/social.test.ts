import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SocialService } from '../../src/domain/social/social-service.ts';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { graphqlCaller } from '../support/graphql-client.ts';

// The follow graph over real HTTP with real user-pool tokens; counters from the embedded
// UpdateUserCounters consumer; the recount through the real CLI in a child process.
const PASSWORD = 'Soc1al-Passw0rd!';
const bin = fileURLToPath(new URL('../../bin/biilive.js', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;

interface Reply {
  status: number;
  json: { data?: Record<string, Json> | null; errors?: Array<{ errorType: string | null; message: string; path?: unknown }> };
}

describe('social graph over GraphQL', () => {
  let s: TestServer;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  const { gql, data } = graphqlCaller<Reply['json']>(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
  const errorType = (r: Reply) => r.json.errors?.[0]?.errorType;

  const FOLLOW = 'mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId createdAt follower { nickname } followed { nickname } } }';
  const UNFOLLOW = 'mutation U($id: ID!) { unfollowUser(followedId: $id) }';
  const IS_FOLLOWING = 'query I($a: ID!, $b: ID!) { isFollowing(followerId: $a, followedId: $b) }';
  const FOLLOWERS = 'query L($id: ID!, $limit: Int, $next: String) { listFollowers(userId: $id, limit: $limit, nextToken: $next) { items { userId nickname seguidores } nextToken } }';
  const FOLLOWING = 'query L($id: ID!, $limit: Int, $next: String) { listFollowing(userId: $id, limit: $limit, nextToken: $next) { items { userId nickname } nextToken } }';
  const COUNTERS = 'query G($id: ID!) { getUser(userId: $id) { seguidores siguiendo } }';

  const social = () => s.app.config.tables.social;
  const rawEdge = (follower: string, followed: string) =>
    s.app.tables.get(social(), { followerId: follower, SK: `FOLLOWING#${followed}` }, { consistent: true });

  /** Polls getUser until the counters read `want` (bounded; the consumer applies the change log asynchronously). */
  const countersReach = async (userId: string, want: { seguidores: number; siguiendo: number }) => {
    let last: unknown;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(25)) {
      last = (await data(COUNTERS, { id: userId }, 'key')).getUser;
      if (JSON.stringify(last) === JSON.stringify(want)) return;
    }
    assert.deepEqual(last, want, `counters of ${userId}`);
  };

  const doctor = (...extra: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'doctor', 'counters', '--data-dir', s.app.config.dataDir, '--log-level', 'silent', ...extra], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  before(async () => {
    s = await startTestServer();
    for (const name of ['ana', 'beto', 'caro']) {
      ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
      tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
    }
  });
  after(async () => {
    await s?.stop();
  });

  test('follow, isFollowing, lists and unfollow; the raw item has the seed key formats', async () => {
    const { followUser } = await data(FOLLOW, { id: ids.beto }, 'ana');
    assert.equal(followUser.followerId, ids.ana, 'the caller is the follower');
    assert.equal(followUser.followedId, ids.beto);
    assert.deepEqual([followUser.follower.nickname, followUser.followed.nickname], ['ana', 'beto']);
    assert.ok(!Number.isNaN(Date.parse(followUser.createdAt)));

    assert.deepEqual(await rawEdge(ids.ana, ids.beto), {
      followerId: ids.ana,
      SK: `FOLLOWING#${ids.beto}`,
      GSI1PK: ids.beto,
      GSI1SK: `FOLLOWER#${ids.ana}`,
      followedId: ids.beto,
      createdAt: followUser.createdAt,
    });
    const reverse = await s.app.tables.query({ table: social(), index: 'GSI1', partition: ids.beto });
    assert.deepEqual(reverse.items.map((i) => i.GSI1SK), [`FOLLOWER#${ids.ana}`]);

    assert.equal((await data(IS_FOLLOWING, { a: ids.ana, b: ids.beto }, 'key')).isFollowing, true);
    assert.equal((await data(IS_FOLLOWING, { a: ids.beto, b: ids.ana }, 'caro')).isFollowing, false);
    assert.deepEqual((await data(FOLLOWING, { id: ids.ana }, 'key')).listFollowing, {
      items: [{ userId: ids.beto, nickname: 'beto' }],
      nextToken: null,
    });
    assert.deepEqual((await data(FOLLOWERS, { id: ids.beto }, 'caro')).listFollowers.items.map((u: { userId: string }) => u.userId), [ids.ana]);

    assert.equal((await data(UNFOLLOW, { id: ids.beto }, 'ana')).unfollowUser, true);
    assert.equal(await rawEdge(ids.ana, ids.beto), undefined);
    assert.equal((await data(IS_FOLLOWING, { a: ids.ana, b: ids.beto }, 'key')).isFollowing, false);
    assert.deepEqual((await data(FOLLOWERS, { id: ids.beto }, 'key')).listFollowers, { items: [], nextToken: null });
  });

  test('documented decisions: yourself and malformed ids BadRequest, unknown user NotFound, twice and unfollow-not-followed no-ops', async () => {
    const self = await gql(FOLLOW, { id: ids.ana }, 'ana');
    assert.equal(errorType(self), 'BadRequestException');
    assert.equal(self.json.data, null);
    assert.equal(await rawEdge(ids.ana, ids.ana), undefined);
    assert.equal(errorType(await gql(UNFOLLOW, { id: ids.ana }, 'ana')), 'BadRequestException');
    assert.equal(errorType(await gql(FOLLOW, { id: 'a#b' }, 'ana')), 'BadRequestException');

    const ghost = randomUUID();
    const unknown = await gql(FOLLOW, { id: ghost }, 'ana');
    assert.equal(errorType(unknown), 'NotFound');
    assert.equal(await rawEdge(ids.ana, ghost), undefined);

    const first = (await data(FOLLOW, { id: ids.caro }, 'beto')).followUser;
    const again = (await data(FOLLOW, { id: ids.caro }, 'beto')).followUser;
    assert.deepEqual(again, first, 'following twice returns the existing edge');
    const edges = await s.app.tables.query({ table: social(), partition: ids.beto, consistent: true });
    assert.equal(edges.items.length, 1);

    assert.equal((await data(UNFOLLOW, { id: ids.ana }, 'caro')).unfollowUser, false, 'not followed: a no-op');
    assert.equal((await data(IS_FOLLOWING, { a: 'no#such', b: ids.ana }, 'key')).isFollowing, false);
    // The repeated follow counted once.
    await countersReach(ids.caro, { seguidores: 1, siguiendo: 0 });
    await countersReach(ids.beto, { seguidores: 0, siguiendo: 1 });
  });

  test('counters (seguidores / siguiendo via getUser) converge after follows and unfollows', async () => {
    await data(FOLLOW, { id: ids.beto }, 'ana');
    await data(FOLLOW, { id: ids.caro }, 'ana');
    await data(FOLLOW, { id: ids.ana }, 'caro');
    await data(FOLLOW, { id: ids.beto }, 'caro');
    await data(UNFOLLOW, { id: ids.beto }, 'caro');
    // Edges now: beto->caro, ana->beto, ana->caro, caro->ana.
    await countersReach(ids.ana, { seguidores: 1, siguiendo: 2 });
    await countersReach(ids.beto, { seguidores: 1, siguiendo: 1 });
    await countersReach(ids.caro, { seguidores: 2, siguiendo: 1 });
  });

  test('1,000 followers: walking nextToken over HTTP returns each exactly once, with profiles', async () => {
    // Profiles and edges straight through the services (1,000 real sign-ups would take minutes);
    // the listing itself goes over HTTP.
    const { tables, config } = s.app;
    const users = new UsersService({ tables, tableNames: config.tables, clock: systemClock, limits: config.limits });
    const graph = new SocialService({ tables, tableNames: config.tables, clock: systemClock, limits: config.limits });
    const fans = Array.from({ length: 1000 }, (_, i) => ({ sub: randomUUID(), nickname: `fan_${String(i).padStart(4, '0')}` }));
    await runAll(fans, 16, (f) => users.createProfile({ sub: f.sub, username: f.nickname, attributes: { nickname: f.nickname } }));
    await runAll(fans, 16, async (f) => assert.equal((await graph.follow(f.sub, ids.caro)).created, true));

    const seen = new Map<string, string>();
    let pages = 0;
    let next: string | null = null;
    do {
      const page: { items: Array<{ userId: string; nickname: string }>; nextToken: string | null } = (
        await data(FOLLOWERS, { id: ids.caro, limit: 37, next }, pages % 2 ? 'key' : 'beto')
      ).listFollowers;
      for (const u of page.items) {
        assert.ok(!seen.has(u.userId), `${u.userId} returned twice`);
        seen.set(u.userId, u.nickname);
      }
      next = page.nextToken;
      pages++;
      assert.ok(pages < 100, 'pagination terminates');
    } while (next);
    assert.equal(seen.size, 1002, 'every follower once: the 1,000 fans, ana and beto');
    for (const f of fans) assert.equal(seen.get(f.sub), f.nickname);
    assert.equal(seen.get(ids.ana), 'ana');
    assert.ok(pages >= 28);

    const fan = (await data(FOLLOWING, { id: fans[500].sub }, 'key')).listFollowing;
    assert.deepEqual(fan, { items: [{ userId: ids.caro, nickname: 'caro' }], nextToken: null });
    await countersReach(ids.caro, { seguidores: 1002, siguiendo: 1 });
    await countersReach(fans[0].sub, { seguidores: 0, siguiendo: 1 });
  });

  test('nextToken is opaque and bound to its list; bad limits are BadRequest', async () => {
    const first = (await data(FOLLOWERS, { id: ids.caro, limit: 2 }, 'key')).listFollowers;
    assert.equal(typeof first.nextToken, 'string');
    for (const [query, id, next] of [
      [FOLLOWERS, ids.caro, 'garbage'],
      [FOLLOWERS, ids.caro, Buffer.from('{"v":1}').toString('base64url')],
      [FOLLOWERS, ids.ana, first.nextToken],
      [FOLLOWING, ids.caro, first.nextToken],
    ]) {
      const r = await gql(query, { id, limit: 2, next }, 'key');
      assert.equal(errorType(r), 'BadRequestException', `${query.slice(24, 40)} ${String(next).slice(0, 12)}`);
      assert.equal(r.json.data, null);
    }
    for (const limit of [0, -1, 10_000]) assert.equal(errorType(await gql(FOLLOWING, { id: ids.caro, limit }, 'key')), 'BadRequestException');
  });

  test('`biilive doctor counters` finds no drift after the run; a planted drift is reported, fixed, then gone', async () => {
    const clean = await doctor('--json');
    assert.equal(clean.code, 0, clean.stderr);
    const report = JSON.parse(clean.stdout);
    assert.deepEqual({ drift: report.drift, remaining: report.remaining, unstable: report.unstable }, { drift: [], remaining: 0, unstable: [] });
    assert.ok(report.users >= 1003);

    await s.app.tables.update({ table: s.app.config.tables.users, key: { userId: ids.beto }, set: { seguidores: 7 } });
    const found = await doctor('--json');
    assert.equal(found.code, 1);
    assert.deepEqual(JSON.parse(found.stdout).drift, [{ userId: ids.beto, field: 'seguidores', stored: 7, actual: 1 }]);
    const fixed = await doctor('--fix');
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /1 fixed, 0 remaining/);
    await countersReach(ids.beto, { seguidores: 1, siguiendo: 1 });
    const after = await doctor('--json');
    assert.equal(after.code, 0);
    assert.deepEqual(JSON.parse(after.stdout).drift, []);
  });
});

async function runAll<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
