/**
 * The API over real HTTP with real user-pool tokens, with the server on the DynamoDB store (one
 * DynamoDB Local for the file): identity, profiles, the follow graph with counters fed by DynamoDB
 * Streams, chat, and nextToken paging, checked against the raw items through a plain AWS SDK
 * client, so nothing here can be answered from a local file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { SocialService } from '../../src/domain/social/social-service.ts';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { localClientOptions, startDynamoLocal, type DynamoLocal } from '../support/dynamodb-local.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { graphqlCaller } from '../support/graphql-client.ts';

const PASSWORD = 'Dyn4mo-Passw0rd!';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;
interface Reply {
  status: number;
  json: { data?: Record<string, Json> | null; errors?: Array<{ errorType: string | null; message: string }> };
}

const ME = '{ me { userId nickname nombreCompleto seguidores siguiendo puntos nivel } }';
const UPDATE = 'mutation U($input: UpdateProfileInput!) { updateProfile(input: $input) { userId nickname ciudad pais descripcion } }';
const GET = 'query G($id: ID!) { getUser(userId: $id) { userId nickname ciudad seguidores siguiendo } }';
const BY_NICK = 'query N($n: String!) { getUserByNickname(nickname: $n) { userId } }';
const SEARCH = 'query S($p: String!, $limit: Int, $next: String) { searchUsers(prefix: $p, limit: $limit, nextToken: $next) { items { userId nickname } nextToken } }';
const FOLLOW = 'mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId createdAt } }';
const UNFOLLOW = 'mutation U($id: ID!) { unfollowUser(followedId: $id) }';
const IS_FOLLOWING = 'query I($a: ID!, $b: ID!) { isFollowing(followerId: $a, followedId: $b) }';
const FOLLOWERS = 'query L($id: ID!, $limit: Int, $next: String) { listFollowers(userId: $id, limit: $limit, nextToken: $next) { items { userId nickname } nextToken } }';
const COUNTERS = 'query C($id: ID!) { getUser(userId: $id) { seguidores siguiendo } }';
const SEND = 'mutation S($to: ID!, $text: String!, $cid: String) { sendMessage(receiverId: $to, message: $text, clientMessageId: $cid) { conversationId timestamp messageId seq senderId receiverId message readStatus } }';
const LIST = 'query L($with: ID!, $limit: Int, $next: String) { listMessages(withUserId: $with, limit: $limit, nextToken: $next) { items { seq message senderId } nextToken } }';
const INBOX = 'query C($limit: Int, $next: String) { listConversations(limit: $limit, nextToken: $next) { items { otherUserId unreadCount lastSeq lastMessage { message } } nextToken } }';
const MARK = 'mutation M($with: ID!) { markConversationRead(withUserId: $with) { lastReadSeq unreadCount changed } }';

describe('the API on the DynamoDB store (DynamoDB Local)', () => {
  let ddb: DynamoLocal;
  let s: TestServer;
  let raw: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  const physical = (table: string) => s.app.config.dynamodb.tablePrefix + table;
  const { gql, data } = graphqlCaller<Reply['json']>(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
  /** An item read straight from DynamoDB Local (strongly consistent), not through the app. */
  const rawItem = async (table: string, key: Record<string, unknown>) =>
    (await doc.send(new GetCommand({ TableName: physical(table), Key: key, ConsistentRead: true }))).Item;
  const rawScan = async (table: string) => {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await raw.send(new ScanCommand({ TableName: physical(table), ExclusiveStartKey: start, ConsistentRead: true }));
      out.push(...(page.Items ?? []).map((i) => unmarshall(i)));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  };
  /** Polls getUser until the counters read `want`: the consumer applies DynamoDB Streams records asynchronously. */
  const countersReach = async (userId: string, want: { seguidores: number; siguiendo: number }) => {
    let last: unknown;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
      last = (await data(COUNTERS, { id: userId }, 'key')).getUser;
      if (JSON.stringify(last) === JSON.stringify(want)) return;
    }
    assert.deepEqual(last, want, `counters of ${userId}`);
  };
  /** Every page of a connection, checking each item comes once and the walk ends. */
  const walk = async <T,>(page: (next: string | null, i: number) => Promise<{ items: T[]; nextToken: string | null }>) => {
    const items: T[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const p = await page(next, pages++);
      items.push(...p.items);
      next = p.nextToken;
      assert.ok(pages < 200, 'pagination terminates');
    } while (next);
    return { items, pages };
  };

  before(async () => {
    ddb = await startDynamoLocal();
    raw = new DynamoDBClient(localClientOptions(ddb.endpoint));
    doc = DynamoDBDocumentClient.from(raw);
    s = await startTestServer({ dynamodbLocal: ddb.endpoint });
    for (const name of ['ana', 'beto', 'caro']) {
      ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name, name: `${name} Test` });
      tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
    }
  });
  after(async () => {
    await s?.stop();
    doc?.destroy();
    raw?.destroy();
    await ddb?.stop();
  });

  test('sign-up and sign-in: the pool, the profile and the installation live in DynamoDB, not in the data dir', async () => {
    const user = await rawItem(s.app.config.tables.identity, { pk: 'USER#ana', sk: 'USER' });
    assert.equal(user?.sub, ids.ana);
    assert.equal(user?.status, 'CONFIRMED');
    assert.notEqual(user?.passwordHash, PASSWORD);
    const sessions = (await rawScan(s.app.config.tables.identity)).filter((i) => String(i.GSI1PK) === `FAMS#${ids.ana}`);
    assert.ok(sessions.length >= 1, 'the refresh-token session is stored');
    assert.deepEqual(await rawItem(s.app.config.tables.users, { userId: ids.ana }).then((u) => [u?.nickname, u?.nombreCompleto]), ['ana', 'ana Test']);
    const installation = await rawItem(s.app.config.tables.system, { pk: 'INSTALLATION', sk: 'IDS' });
    assert.equal(installation?.apiKey, s.app.installation.apiKey);
    assert.equal(installation?.userPoolClientId, s.clientId);
    assert.ok(!existsSync(join(s.app.config.dataDir, 'biilive.sqlite')), 'no SQLite file in the data dir');
    // Only the runtime file, the data dir's lock, and the media folder of the fs blob store (this server runs `--media fs`;
    // replicas use `--media s3`, see replicas.test.ts).
    assert.deepEqual(readdirSync(s.app.config.dataDir).filter((f) => f !== 'server.json' && f !== 'serve.lock' && f !== 'media'), []);

    const me = (await data(ME, null, 'ana')).me;
    assert.deepEqual(me, { userId: ids.ana, nickname: 'ana', nombreCompleto: 'ana Test', seguidores: 0, siguiendo: 0, puntos: 0, nivel: 1 });
    const wrong = await s.cognito
      .send(new InitiateAuthCommand({
        ClientId: s.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'ana', PASSWORD: 'Wrong-Passw0rd!' },
      }))
      .then(() => 'signed in', (e: Error) => e.name);
    assert.equal(wrong, 'NotAuthorizedException');
  });

  test('updateProfile, getUser, getUserByNickname, searchUsers; a taken nickname is a Conflict that changes nothing', async () => {
    const upd = (await data(UPDATE, { input: { ciudad: 'Quito', pais: 'Ecuador', descripcion: 'hola' } }, 'beto')).updateProfile;
    assert.deepEqual(upd, { userId: ids.beto, nickname: 'beto', ciudad: 'Quito', pais: 'Ecuador', descripcion: 'hola' });
    assert.deepEqual((await data(GET, { id: ids.beto }, 'key')).getUser, { userId: ids.beto, nickname: 'beto', ciudad: 'Quito', seguidores: 0, siguiendo: 0 });
    assert.equal((await rawItem(s.app.config.tables.users, { userId: ids.beto }))?.ciudad, 'Quito');

    await data(UPDATE, { input: { nickname: 'Beto_Q' } }, 'beto');
    assert.deepEqual((await data(BY_NICK, { n: 'beto_q' }, 'key')).getUserByNickname, { userId: ids.beto });
    assert.equal((await data(BY_NICK, { n: 'beto' }, 'caro')).getUserByNickname, null, 'the old nickname is free again');
    assert.equal((await rawItem(s.app.config.tables.nicknames, { nickname: 'beto_q' }))?.userId, ids.beto);
    assert.equal(await rawItem(s.app.config.tables.nicknames, { nickname: 'beto' }), undefined);
    assert.deepEqual((await data(SEARCH, { p: 'BETO' }, 'ana')).searchUsers, { items: [{ userId: ids.beto, nickname: 'Beto_Q' }], nextToken: null });

    const before = await rawItem(s.app.config.tables.users, { userId: ids.caro });
    for (const nickname of ['ana', 'ANA', 'beto_q']) {
      const r = await gql(UPDATE, { input: { nickname, ciudad: 'Lima' } }, 'caro');
      assert.equal(r.json.errors?.[0]?.errorType, 'ConflictException', nickname);
    }
    assert.deepEqual(await rawItem(s.app.config.tables.users, { userId: ids.caro }), before);
    assert.equal((await rawItem(s.app.config.tables.nicknames, { nickname: 'ana' }))?.userId, ids.ana);
  });

  test('follow / unfollow over HTTP; counters converge through the consumer reading DynamoDB Streams', async () => {
    const follow = (await data(FOLLOW, { id: ids.caro }, 'ana')).followUser;
    assert.deepEqual([follow.followerId, follow.followedId], [ids.ana, ids.caro]);
    assert.deepEqual(await rawItem(s.app.config.tables.social, { followerId: ids.ana, SK: `FOLLOWING#${ids.caro}` }), {
      followerId: ids.ana,
      SK: `FOLLOWING#${ids.caro}`,
      GSI1PK: ids.caro,
      GSI1SK: `FOLLOWER#${ids.ana}`,
      followedId: ids.caro,
      createdAt: follow.createdAt,
    });
    await data(FOLLOW, { id: ids.caro }, 'ana'); // twice: a no-op, counted once
    await data(FOLLOW, { id: ids.caro }, 'beto');
    await data(FOLLOW, { id: ids.ana }, 'caro');
    await data(FOLLOW, { id: ids.beto }, 'caro');
    assert.equal((await data(UNFOLLOW, { id: ids.beto }, 'caro')).unfollowUser, true);
    assert.equal((await data(UNFOLLOW, { id: ids.beto }, 'caro')).unfollowUser, false);
    assert.equal((await data(IS_FOLLOWING, { a: ids.ana, b: ids.caro }, 'key')).isFollowing, true);
    assert.equal((await data(IS_FOLLOWING, { a: ids.caro, b: ids.beto }, 'key')).isFollowing, false);
    assert.equal((await gql(FOLLOW, { id: ids.ana }, 'ana')).json.errors?.[0]?.errorType, 'BadRequestException');
    assert.equal((await gql(FOLLOW, { id: randomUUID() }, 'ana')).json.errors?.[0]?.errorType, 'NotFound');
    // Edges: ana->caro, beto->caro, caro->ana.
    await countersReach(ids.caro, { seguidores: 2, siguiendo: 1 });
    await countersReach(ids.ana, { seguidores: 1, siguiendo: 1 });
    await countersReach(ids.beto, { seguidores: 0, siguiendo: 1 });
    const checkpoints = (await rawScan(s.app.config.tables.system)).filter((i) => String(i.pk).startsWith('CHECKPOINT#'));
    assert.ok(checkpoints.length >= 1 && checkpoints.every((c) => /^shardId-/.test(String(c.sk))), 'checkpoints are kept per DynamoDB Streams shard');
  });

  test('chat: send, list newest first, inbox with unread counts, mark read; the raw items are in DynamoDB', async () => {
    const first = (await data(SEND, { to: ids.beto, text: 'hola beto', cid: 'c-1' }, 'ana')).sendMessage;
    await data(SEND, { to: ids.ana, text: 'hola ana 👋' }, 'beto');
    const again = (await data(SEND, { to: ids.beto, text: 'hola beto', cid: 'c-1' }, 'ana')).sendMessage;
    assert.deepEqual(again, first, 'a retried clientMessageId is the same message');
    await data(SEND, { to: ids.beto, text: '¿qué tal?' }, 'ana');
    const stored = await rawItem(s.app.config.tables.chats, { conversationId: first.conversationId, timestamp: first.timestamp });
    assert.deepEqual([stored?.senderId, stored?.receiverId, stored?.message, stored?.readStatus], [ids.ana, ids.beto, 'hola beto', 'SENT']);

    const list = (await data(LIST, { with: ids.ana }, 'beto')).listMessages;
    assert.deepEqual(list.items.map((m: { message: string }) => m.message), ['¿qué tal?', 'hola ana 👋', 'hola beto']);
    assert.deepEqual(list.items.map((m: { seq: number }) => m.seq), [3, 2, 1]);
    assert.deepEqual((await data(INBOX, null, 'beto')).listConversations, {
      items: [{ otherUserId: ids.ana, unreadCount: 2, lastSeq: 3, lastMessage: { message: '¿qué tal?' } }],
      nextToken: null,
    });
    assert.deepEqual((await data(MARK, { with: ids.ana }, 'beto')).markConversationRead, { lastReadSeq: 3, unreadCount: 0, changed: true });
    assert.equal((await data(INBOX, null, 'beto')).listConversations.items[0].unreadCount, 0);
    assert.equal((await data(INBOX, null, 'ana')).listConversations.items[0].unreadCount, 1);
    // Nobody reads another pair's conversation: caro sees an empty one with ana, not ana-beto's.
    assert.deepEqual((await data(LIST, { with: ids.beto }, 'caro')).listMessages, { items: [], nextToken: null });
  });

  test('nextToken paging across pages: searchUsers, listFollowers, listMessages, listConversations', async () => {
    // Profiles and edges straight through the services (sign-ups hash passwords: too slow for many).
    const { tables, config } = s.app;
    const users = new UsersService({ tables, tableNames: config.tables, clock: systemClock, limits: config.limits });
    const graph = new SocialService({ tables, tableNames: config.tables, clock: systemClock, limits: config.limits });
    const fans = Array.from({ length: 45 }, (_, i) => ({ sub: randomUUID(), nickname: `pager_${String(i).padStart(2, '0')}` }));
    await runAll(fans, 8, (f) => users.createProfile({ sub: f.sub, username: f.nickname, attributes: { nickname: f.nickname } }));
    await runAll(fans, 8, (f) => graph.follow(f.sub, ids.beto));

    const search = await walk(async (next, i) => (await data(SEARCH, { p: 'pager_', limit: 10, next }, i % 2 ? 'key' : 'ana')).searchUsers);
    assert.deepEqual(search.items.map((u: Json) => u.nickname), fans.map((f) => f.nickname), 'every match once, in nickname order');
    assert.ok(search.pages >= 5);

    const followers = await walk(async (next, i) => (await data(FOLLOWERS, { id: ids.beto, limit: 8, next }, i % 2 ? 'key' : 'caro')).listFollowers);
    const seen = followers.items.map((u: Json) => u.userId as string);
    assert.equal(new Set(seen).size, seen.length, 'no follower twice');
    assert.deepEqual([...seen].sort(), [...fans.map((f) => f.sub)].sort());
    assert.ok(followers.pages >= 6);

    for (let i = 0; i < 11; i++) await data(SEND, { to: ids[i % 2 ? 'caro' : 'ana'], text: `m${i}` }, i % 2 ? 'ana' : 'caro');
    const messages = await walk(async (next) => (await data(LIST, { with: ids.ana, limit: 4, next }, 'caro')).listMessages);
    assert.deepEqual(messages.items.map((m: Json) => m.message), Array.from({ length: 11 }, (_, i) => `m${10 - i}`));
    assert.equal(messages.pages, 3);
    const inbox = await walk(async (next) => (await data(INBOX, { limit: 1, next }, 'ana')).listConversations);
    assert.deepEqual(inbox.items.map((c: Json) => c.otherUserId), [ids.caro, ids.beto], 'newest conversation first');

    const bad = await gql(FOLLOWERS, { id: ids.beto, limit: 8, next: 'garbage' }, 'key');
    assert.equal(bad.json.errors?.[0]?.errorType, 'BadRequestException');
    await countersReach(ids.beto, { seguidores: 45, siguiendo: 1 });
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
