/**
 * GraphQL scenarios as data: query, variables, caller, expected reply. The SAME list runs against
 * the deployed API in the AppSync simulator (test/infra/appsync-simulator.test.ts) and against the
 * embedded server, so any difference between the two runtimes is either absent or written down
 * here (`differs`, with the reason and what that runtime answers instead).
 *
 * Steps run in order and build on each other (follow, then list; award, then rank). A world of
 * four users (ana is in the admin group) and one legacy profile item (written raw, with only the
 * seed's attributes) is set up by each target before the first step.
 */
import assert from 'node:assert/strict';

export const USERS = ['ana', 'beto', 'caro', 'dani'] as const;
export type UserName = (typeof USERS)[number];
/** Member of the user-pool group "admin". */
export const ADMIN: UserName = 'ana';
export const PASSWORD = 'Scen4rio-Passw0rd!';
/** The legacy item's attributes: the seed's few, none of the counters. */
export const LEGACY = { nickname: 'legacy_user', createdAt: '2024-01-01T00:00:00.000Z' };

/** Who calls: a user's token, the API key, a wrong key, or no credentials at all. */
export type Caller = UserName | 'key' | 'badKey' | 'nobody';
export type TargetName = 'simulator' | 'embedded';

export interface World {
  ids: Record<UserName | 'legacy', string>;
  /** Values kept from earlier steps (nextTokens, message ids). */
  saved: Record<string, unknown>;
  /** The snapshot date CalculateRankings runs for (UTC). */
  today: string;
}

export interface Expectation {
  /** HTTP status; default 200. */
  status?: number;
  /** The whole `data` member (matchers allowed); omitted: not compared. */
  data?: unknown;
  /** errorType of each error, in order; omitted: there must be none. */
  errors?: string[];
}

type Of<T> = T | ((w: World) => T);

export interface Scenario {
  name: string;
  caller: Caller;
  query: string;
  variables?: Of<Record<string, unknown>>;
  expect: Of<Expectation>;
  /** Keeps something of the reply's data for later steps. */
  save?: (data: Json, w: World) => void;
  /** Where a runtime answers otherwise, why, and what it answers. */
  differs?: Partial<Record<TargetName, { why: string; expect: Of<Expectation> }>>;
}

/** Work a runtime does outside the API between steps (stream consumers, the daily schedule). */
export interface Settle {
  name: string;
  settle: 'counters' | 'rankings';
}

export type Step = Scenario | Settle;
export const isSettle = (s: Step): s is Settle => 'settle' in s;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL replies are checked by matchers
export type Json = any;

// ---- matchers --------------------------------------------------------------------------------

export class Matcher {
  constructor(
    readonly description: string,
    readonly test: (value: unknown) => boolean,
  ) {}
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const any = {
  isoDateTime: new Matcher('an ISO date-time', (v) => typeof v === 'string' && ISO_DATE_TIME.test(v)),
  string: new Matcher('a non-empty string', (v) => typeof v === 'string' && v.length > 0),
  url: new Matcher('an http(s) URL', (v) => typeof v === 'string' && /^https?:\/\/\S+$/.test(v)),
  matching: (re: RegExp) => new Matcher(`a string matching ${re}`, (v) => typeof v === 'string' && re.test(v)),
};

/** Differences between `actual` and `expected` (exact keys; matchers where expected holds one). */
export function mismatches(actual: unknown, expected: unknown, path = '$'): string[] {
  if (expected instanceof Matcher) return expected.test(actual) ? [] : [`${path}: expected ${expected.description}, got ${JSON.stringify(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`];
    return expected.flatMap((e, i) => mismatches(actual[i], e, `${path}[${i}]`));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    return [...keys].flatMap((k) => (k in e ? (k in a ? mismatches(a[k], e[k], `${path}.${k}`) : [`${path}.${k}: missing`]) : [`${path}.${k}: unexpected`]));
  }
  return Object.is(actual, expected) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

export interface Reply {
  status: number;
  json: { data?: Json; errors?: Array<{ errorType?: string | null; message?: string }> };
}

/** Asserts a reply against an expectation. */
export function assertReply(reply: Reply, expected: Expectation, label: string): void {
  const why = `${label}: ${JSON.stringify(reply.json).slice(0, 600)}`;
  assert.equal(reply.status, expected.status ?? 200, why);
  const errorTypes = (reply.json.errors ?? []).map((e) => e.errorType ?? null);
  assert.deepEqual(errorTypes, expected.errors ?? [], why);
  if ('data' in expected) {
    const problems = mismatches(reply.json.data, expected.data);
    assert.deepEqual(problems, [], why);
  }
}

export const resolve = <T>(value: Of<T>, w: World): T => (typeof value === 'function' ? (value as (w: World) => T)(w) : value);

/** The expectation that holds on `target`. */
export function expectationFor(s: Scenario, target: TargetName, w: World): Expectation {
  const differs = s.differs?.[target];
  return resolve(differs ? differs.expect : s.expect, w);
}

// ---- expected values -------------------------------------------------------------------------

export const USER_FIELDS =
  'userId nickname nombreCompleto seguidores siguiendo puntos nivel ciudad pais descripcion isOnline lastSeen profilePhotoUrl profileThumbnailUrl createdAt updatedAt';
export const MESSAGE_FIELDS = 'conversationId timestamp messageId seq senderId receiverId message readStatus clientMessageId createdAt';

/** A profile as a user who only signed up has it, with `changes`. */
function profile(w: World, name: UserName, changes: Record<string, unknown> = {}) {
  return {
    userId: w.ids[name],
    nickname: name,
    nombreCompleto: null,
    seguidores: 0,
    siguiendo: 0,
    puntos: 0,
    nivel: 1,
    ciudad: null,
    pais: null,
    descripcion: null,
    isOnline: false,
    lastSeen: null,
    profilePhotoUrl: null,
    profileThumbnailUrl: null,
    createdAt: any.isoDateTime,
    updatedAt: any.isoDateTime,
    ...changes,
  };
}

const BETO_PLACE = { ciudad: 'Bogotá', pais: 'Colombia', descripcion: 'hola' };
const conversationOf = (w: World, a: UserName, b: UserName) => [w.ids[a], w.ids[b]].sort().join('#');
const sortedIds = (w: World, names: UserName[]) => names.map((n) => w.ids[n]).sort();

/** Every ranked user, best first: puntos descending, then userId ascending. */
function ranking(w: World, puntos: Partial<Record<UserName, number>>) {
  const all = [...USERS.map((n) => ({ id: w.ids[n], nickname: n as string, puntos: puntos[n] ?? 0 })), { id: w.ids.legacy, nickname: LEGACY.nickname, puntos: 0 }];
  return all.sort((a, b) => b.puntos - a.puntos || (a.id < b.id ? -1 : 1));
}

// ---- the scenarios ---------------------------------------------------------------------------

const GET_USER = `query G($id: ID!) { getUser(userId: $id) { ${USER_FIELDS} } }`;
const COUNTERS = 'query C($id: ID!) { getUser(userId: $id) { seguidores siguiendo } }';
const FOLLOW = `mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId createdAt follower { userId nickname } followed { userId nickname } } }`;
const FOLLOWERS = 'query L($id: ID!, $l: Int, $n: String) { listFollowers(userId: $id, limit: $l, nextToken: $n) { items { userId nickname seguidores nivel } nextToken } }';
const FOLLOWING = 'query L($id: ID!, $l: Int, $n: String) { listFollowing(userId: $id, limit: $l, nextToken: $n) { items { userId nickname } nextToken } }';
const SEND = `mutation S($to: ID!, $m: String!, $c: String) { sendMessage(receiverId: $to, message: $m, clientMessageId: $c) { ${MESSAGE_FIELDS} } }`;
const AWARD = 'mutation A($u: ID!, $a: Int!, $r: String!, $k: String!) { awardPoints(userId: $u, amount: $a, reason: $r, idempotencyKey: $k) { idempotencyKey userId amount reason puntos nivel awardedAt replayed } }';
const RANKINGS = 'query R($s: RankingScope!, $p: String, $c: String, $l: Int) { getRankings(scope: $s, pais: $p, ciudad: $c, limit: $l) { date scope pais ciudad total nextToken items { rank userId nickname puntos nivel ciudad pais } } }';

export const STEPS: readonly Step[] = [
  // ---- profiles
  {
    name: 'getUser with the API key: a signed-up profile, every field',
    caller: 'key',
    query: GET_USER,
    variables: (w) => ({ id: w.ids.ana }),
    expect: (w) => ({ data: { getUser: profile(w, 'ana') } }),
  },
  {
    name: 'getUser of a legacy item without counters: the schema defaults (field resolvers on a direct read)',
    caller: 'key',
    query: GET_USER,
    variables: (w) => ({ id: w.ids.legacy }),
    expect: (w) => ({
      data: { getUser: { ...profile(w, 'ana'), userId: w.ids.legacy, nickname: LEGACY.nickname, createdAt: LEGACY.createdAt, updatedAt: LEGACY.createdAt } },
    }),
  },
  { name: 'getUser of nobody: null', caller: 'key', query: GET_USER, variables: { id: 'no-such-user' }, expect: { data: { getUser: null } } },
  {
    name: 'getUser with an empty id',
    caller: 'key',
    query: 'query { getUser(userId: "") { userId } }',
    expect: { data: { getUser: null } },
    differs: {
      simulator: {
        why: "the seed's direct GetItem passes the id to DynamoDB unchecked, and DynamoDB refuses an empty key",
        expect: { data: { getUser: null }, errors: ['DynamoDB:ValidationException'] },
      },
    },
  },
  { name: 'me: the caller', caller: 'beto', query: `query { me { ${USER_FIELDS} } }`, expect: (w) => ({ data: { me: profile(w, 'beto') } }) },
  { name: 'me with the API key: Unauthorized', caller: 'key', query: 'query { me { userId } }', expect: { data: { me: null }, errors: ['Unauthorized'] } },
  { name: 'getUserByNickname, any case', caller: 'key', query: 'query { getUserByNickname(nickname: "BeTo") { userId nickname } }', expect: (w) => ({ data: { getUserByNickname: { userId: w.ids.beto, nickname: 'beto' } } }) },
  { name: 'getUserByNickname of an impossible nickname: null', caller: 'key', query: 'query { getUserByNickname(nickname: "a b") { userId } }', expect: { data: { getUserByNickname: null } } },
  {
    name: 'searchUsers by prefix',
    caller: 'key',
    query: 'query { searchUsers(prefix: "CA") { items { userId nickname } nextToken } }',
    expect: (w) => ({ data: { searchUsers: { items: [{ userId: w.ids.caro, nickname: 'caro' }], nextToken: null } } }),
  },
  { name: 'searchUsers with an empty prefix: BadRequest', caller: 'key', query: 'query { searchUsers(prefix: "") { nextToken } }', expect: { data: null, errors: ['BadRequestException'] } },
  {
    name: 'updateProfile: the caller edits their own profile',
    caller: 'beto',
    query: `mutation U($i: UpdateProfileInput!) { updateProfile(input: $i) { ${USER_FIELDS} } }`,
    variables: { i: BETO_PLACE },
    expect: (w) => ({ data: { updateProfile: profile(w, 'beto', BETO_PLACE) } }),
  },
  { name: 'updateProfile to a taken nickname: Conflict', caller: 'beto', query: 'mutation { updateProfile(input: { nickname: "ANA" }) { nickname } }', expect: { data: null, errors: ['ConflictException'] } },
  { name: 'updateProfile with the API key: Unauthorized', caller: 'key', query: 'mutation { updateProfile(input: { descripcion: "x" }) { nickname } }', expect: { data: null, errors: ['Unauthorized'] } },
  { name: 'the edit reads back', caller: 'caro', query: GET_USER, variables: (w) => ({ id: w.ids.beto }), expect: (w) => ({ data: { getUser: profile(w, 'beto', BETO_PLACE) } }) },

  // ---- social
  {
    name: 'followUser: the edge with both users (every field a subscriber of onNewFollower may select)',
    caller: 'ana',
    query: FOLLOW,
    variables: (w) => ({ id: w.ids.beto }),
    expect: (w) => ({
      data: {
        followUser: {
          followerId: w.ids.ana,
          followedId: w.ids.beto,
          createdAt: any.isoDateTime,
          follower: { userId: w.ids.ana, nickname: 'ana' },
          followed: { userId: w.ids.beto, nickname: 'beto' },
        },
      },
    }),
    save: (data, w) => (w.saved.followedAt = data.followUser.createdAt),
  },
  {
    name: 'following again returns the same edge',
    caller: 'ana',
    query: 'mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId createdAt } }',
    variables: (w) => ({ id: w.ids.beto }),
    expect: (w) => ({ data: { followUser: { followerId: w.ids.ana, followedId: w.ids.beto, createdAt: w.saved.followedAt } } }),
  },
  { name: 'following yourself: BadRequest', caller: 'ana', query: FOLLOW, variables: (w) => ({ id: w.ids.ana }), expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'following nobody: NotFound', caller: 'ana', query: FOLLOW, variables: { id: 'no-such-user' }, expect: { data: null, errors: ['NotFound'] } },
  { name: 'caro follows beto', caller: 'caro', query: 'mutation F($id: ID!) { followUser(followedId: $id) { followedId } }', variables: (w) => ({ id: w.ids.beto }), expect: (w) => ({ data: { followUser: { followedId: w.ids.beto } } }) },
  { name: 'dani follows beto', caller: 'dani', query: 'mutation F($id: ID!) { followUser(followedId: $id) { followedId } }', variables: (w) => ({ id: w.ids.beto }), expect: (w) => ({ data: { followUser: { followedId: w.ids.beto } } }) },
  { name: 'followUser with the API key: Unauthorized', caller: 'key', query: FOLLOW, variables: (w) => ({ id: w.ids.beto }), expect: { data: null, errors: ['Unauthorized'] } },
  {
    name: 'isFollowing both ways, and malformed ids read as false',
    caller: 'key',
    query:
      'query I($a: ID!, $b: ID!) { yes: isFollowing(followerId: $a, followedId: $b) no: isFollowing(followerId: $b, followedId: $a) empty: isFollowing(followerId: "", followedId: $b) hash: isFollowing(followerId: "x#y", followedId: $b) control: isFollowing(followerId: "x\\u0001y", followedId: $b) self: isFollowing(followerId: $a, followedId: $a) }',
    variables: (w) => ({ a: w.ids.ana, b: w.ids.beto }),
    expect: { data: { yes: true, no: false, empty: false, hash: false, control: false, self: false } },
  },
  { name: 'settle: UpdateUserCounters runs on the follow records', settle: 'counters' },
  {
    name: 'listFollowers, first page of two, in follower-id order, with counters',
    caller: 'key',
    query: FOLLOWERS,
    variables: (w) => ({ id: w.ids.beto, l: 2 }),
    expect: (w) => {
      const [first, second] = sortedIds(w, ['ana', 'caro', 'dani']);
      const row = (id: string) => ({ userId: id, nickname: USERS.find((n) => w.ids[n] === id)!, seguidores: 0, nivel: 1 });
      return { data: { listFollowers: { items: [row(first), row(second)], nextToken: any.string } } };
    },
    save: (data, w) => (w.saved.followersToken = data.listFollowers.nextToken),
  },
  {
    name: 'listFollowers, the next page with the nextToken',
    caller: 'ana',
    query: FOLLOWERS,
    variables: (w) => ({ id: w.ids.beto, l: 2, n: w.saved.followersToken }),
    expect: (w) => {
      const third = sortedIds(w, ['ana', 'caro', 'dani'])[2];
      return { data: { listFollowers: { items: [{ userId: third, nickname: USERS.find((n) => w.ids[n] === third)!, seguidores: 0, nivel: 1 }], nextToken: null } } };
    },
  },
  {
    name: 'listFollowing',
    caller: 'key',
    query: FOLLOWING,
    variables: (w) => ({ id: w.ids.ana }),
    expect: (w) => ({ data: { listFollowing: { items: [{ userId: w.ids.beto, nickname: 'beto' }], nextToken: null } } }),
  },
  { name: 'listFollowers with limit 0: BadRequest', caller: 'key', query: FOLLOWERS, variables: (w) => ({ id: w.ids.beto, l: 0 }), expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'listFollowers with limit 101: BadRequest', caller: 'key', query: FOLLOWERS, variables: (w) => ({ id: w.ids.beto, l: 101 }), expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'listFollowers with a garbage nextToken: BadRequest', caller: 'key', query: FOLLOWERS, variables: (w) => ({ id: w.ids.beto, n: 'garbage' }), expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'listFollowers of a malformed id: BadRequest', caller: 'key', query: FOLLOWERS, variables: { id: 'a#b' }, expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'listFollowers of an id with a control character: BadRequest', caller: 'key', query: FOLLOWERS, variables: { id: 'a\u0001b' }, expect: { data: null, errors: ['BadRequestException'] } },
  {
    name: "another list's nextToken",
    caller: 'key',
    query: FOLLOWERS,
    variables: (w) => ({ id: w.ids.ana, n: w.saved.followersToken }),
    // The embedded server binds its tokens to the list; DynamoDB refuses a start key outside the queried partition.
    expect: { data: null, errors: ['BadRequestException'] },
  },
  {
    name: 'the counters after UpdateUserCounters',
    caller: 'key',
    query: 'query C($a: ID!, $b: ID!) { a: getUser(userId: $a) { seguidores siguiendo } b: getUser(userId: $b) { seguidores siguiendo } }',
    variables: (w) => ({ a: w.ids.ana, b: w.ids.beto }),
    expect: { data: { a: { seguidores: 0, siguiendo: 1 }, b: { seguidores: 3, siguiendo: 0 } } },
  },
  { name: 'unfollowUser', caller: 'dani', query: 'mutation U($id: ID!) { unfollowUser(followedId: $id) }', variables: (w) => ({ id: w.ids.beto }), expect: { data: { unfollowUser: true } } },
  { name: 'unfollowUser again: false', caller: 'dani', query: 'mutation U($id: ID!) { unfollowUser(followedId: $id) }', variables: (w) => ({ id: w.ids.beto }), expect: { data: { unfollowUser: false } } },
  { name: 'settle: UpdateUserCounters runs on the unfollow record', settle: 'counters' },
  { name: 'beto has two followers left', caller: 'key', query: COUNTERS, variables: (w) => ({ id: w.ids.beto }), expect: { data: { getUser: { seguidores: 2, siguiendo: 0 } } } },

  // ---- chat
  {
    name: 'sendMessage: every field a subscriber of onMessageReceived may select',
    caller: 'ana',
    query: SEND,
    variables: (w) => ({ to: w.ids.beto, m: 'hola beto', c: 'm-1' }),
    expect: (w) => ({
      data: {
        sendMessage: {
          conversationId: conversationOf(w, 'ana', 'beto'),
          timestamp: any.matching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z#0000000001$/),
          messageId: any.string,
          seq: 1,
          senderId: w.ids.ana,
          receiverId: w.ids.beto,
          message: 'hola beto',
          readStatus: 'SENT',
          clientMessageId: 'm-1',
          createdAt: any.isoDateTime,
        },
      },
    }),
    save: (data, w) => (w.saved.messageId = data.sendMessage.messageId),
  },
  {
    name: 'a retried send returns the original message',
    caller: 'ana',
    query: 'mutation S($to: ID!) { sendMessage(receiverId: $to, message: "hola beto", clientMessageId: "m-1") { messageId seq } }',
    variables: (w) => ({ to: w.ids.beto }),
    expect: (w) => ({ data: { sendMessage: { messageId: w.saved.messageId, seq: 1 } } }),
  },
  { name: 'the same clientMessageId with another text: Conflict', caller: 'ana', query: SEND, variables: (w) => ({ to: w.ids.beto, m: 'otro', c: 'm-1' }), expect: { data: null, errors: ['ConflictException'] } },
  { name: 'a message to yourself: BadRequest', caller: 'ana', query: SEND, variables: (w) => ({ to: w.ids.ana, m: 'yo' }), expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'sendMessage with the API key: Unauthorized', caller: 'key', query: SEND, variables: (w) => ({ to: w.ids.beto, m: 'x' }), expect: { data: null, errors: ['Unauthorized'] } },
  { name: 'beto answers', caller: 'beto', query: 'mutation S($to: ID!) { sendMessage(receiverId: $to, message: "qué tal") { seq } }', variables: (w) => ({ to: w.ids.ana }), expect: { data: { sendMessage: { seq: 2 } } } },
  {
    name: "beto's inbox: the conversation with ana, one unread",
    caller: 'beto',
    query: 'query { listConversations { items { conversationId otherUserId otherUser { nickname } lastMessage { message seq } unreadCount lastReadSeq lastSeq updatedAt } nextToken } }',
    expect: (w) => ({
      data: {
        listConversations: {
          items: [
            {
              conversationId: conversationOf(w, 'ana', 'beto'),
              otherUserId: w.ids.ana,
              otherUser: { nickname: 'ana' },
              lastMessage: { message: 'qué tal', seq: 2 },
              unreadCount: 1,
              lastReadSeq: 0,
              lastSeq: 2,
              updatedAt: any.isoDateTime,
            },
          ],
          nextToken: null,
        },
      },
    }),
  },
  {
    name: 'markConversationRead moves the mark to the last message',
    caller: 'beto',
    query: 'mutation M($w: ID!) { markConversationRead(withUserId: $w) { conversationId readerId withUserId lastReadSeq unreadCount changed } }',
    variables: (w) => ({ w: w.ids.ana }),
    expect: (w) => ({
      data: { markConversationRead: { conversationId: conversationOf(w, 'ana', 'beto'), readerId: w.ids.beto, withUserId: w.ids.ana, lastReadSeq: 2, unreadCount: 0, changed: true } },
    }),
  },
  {
    name: 'listMessages, newest first, read status derived from the read marks',
    caller: 'ana',
    query: 'query L($w: ID!) { listMessages(withUserId: $w) { items { seq senderId message readStatus } nextToken } }',
    variables: (w) => ({ w: w.ids.beto }),
    expect: (w) => ({
      data: {
        listMessages: {
          items: [
            { seq: 2, senderId: w.ids.beto, message: 'qué tal', readStatus: 'SENT' },
            { seq: 1, senderId: w.ids.ana, message: 'hola beto', readStatus: 'READ' },
          ],
          nextToken: null,
        },
      },
    }),
  },
  { name: 'listConversations with the API key: Unauthorized', caller: 'key', query: 'query { listConversations { nextToken } }', expect: { data: null, errors: ['Unauthorized'] } },

  // ---- points
  {
    name: 'awardPoints by an admin',
    caller: ADMIN,
    query: AWARD,
    variables: (w) => ({ u: w.ids.beto, a: 150, r: 'first stream', k: 'beto-1' }),
    expect: (w) => ({ data: { awardPoints: { idempotencyKey: 'beto-1', userId: w.ids.beto, amount: 150, reason: 'first stream', puntos: 150, nivel: 2, awardedAt: any.isoDateTime, replayed: false } } }),
  },
  {
    name: 'the same idempotency key again: the first result, replayed',
    caller: ADMIN,
    query: 'mutation A($u: ID!) { awardPoints(userId: $u, amount: 150, reason: "first stream", idempotencyKey: "beto-1") { puntos replayed } }',
    variables: (w) => ({ u: w.ids.beto }),
    expect: { data: { awardPoints: { puntos: 150, replayed: true } } },
  },
  { name: 'awardPoints by a user outside the admin group: Unauthorized', caller: 'caro', query: AWARD, variables: (w) => ({ u: w.ids.caro, a: 5, r: 'self', k: 'caro-1' }), expect: { data: null, errors: ['Unauthorized'] } },
  { name: 'awardPoints with the API key: Unauthorized', caller: 'key', query: AWARD, variables: (w) => ({ u: w.ids.caro, a: 5, r: 'x', k: 'caro-2' }), expect: { data: null, errors: ['Unauthorized'] } },
  { name: 'awardPoints to nobody: NotFound', caller: ADMIN, query: AWARD, variables: { u: 'no-such-user', a: 5, r: 'x', k: 'nobody-1' }, expect: { data: null, errors: ['NotFound'] } },
  { name: 'awardPoints of a negative amount: BadRequest', caller: ADMIN, query: AWARD, variables: (w) => ({ u: w.ids.dani, a: -5, r: 'x', k: 'dani-1' }), expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'caro earns 20', caller: ADMIN, query: AWARD, variables: (w) => ({ u: w.ids.caro, a: 20, r: 'gift', k: 'caro-3' }), expect: (w) => ({ data: { awardPoints: { idempotencyKey: 'caro-3', userId: w.ids.caro, amount: 20, reason: 'gift', puntos: 20, nivel: 1, awardedAt: any.isoDateTime, replayed: false } } }) },

  // ---- rankings
  {
    name: 'getRankings before any run: empty, no date',
    caller: 'key',
    query: RANKINGS,
    variables: { s: 'GLOBAL' },
    expect: { data: { getRankings: { date: null, scope: 'GLOBAL', pais: null, ciudad: null, total: 0, nextToken: null, items: [] } } },
  },
  { name: 'myRank before any run: null', caller: 'beto', query: 'query { myRank(scope: GLOBAL) { rank } }', expect: { data: { myRank: null } } },
  { name: 'settle: CalculateRankings runs (the scheduled event)', settle: 'rankings' },
  {
    name: 'getRankings GLOBAL: every user, puntos then userId',
    caller: 'key',
    query: RANKINGS,
    variables: { s: 'GLOBAL' },
    expect: (w) => {
      const order = ranking(w, { beto: 150, caro: 20 });
      return {
        data: {
          getRankings: {
            date: w.today,
            scope: 'GLOBAL',
            pais: null,
            ciudad: null,
            total: order.length,
            nextToken: null,
            items: order.map((u, i) => ({
              rank: i + 1,
              userId: u.id,
              nickname: u.nickname,
              puntos: u.puntos,
              nivel: u.puntos >= 100 ? 2 : 1,
              ciudad: u.id === w.ids.beto ? 'Bogotá' : null,
              pais: u.id === w.ids.beto ? 'Colombia' : null,
            })),
          },
        },
      };
    },
  },
  {
    name: 'getRankings COUNTRY, matched without case or accents',
    caller: 'ana',
    query: RANKINGS,
    variables: { s: 'COUNTRY', p: ' colombia ' },
    expect: (w) => ({
      data: {
        getRankings: {
          date: w.today,
          scope: 'COUNTRY',
          pais: 'Colombia',
          ciudad: null,
          total: 1,
          nextToken: null,
          items: [{ rank: 1, userId: w.ids.beto, nickname: 'beto', puntos: 150, nivel: 2, ciudad: 'Bogotá', pais: 'Colombia' }],
        },
      },
    }),
  },
  { name: 'getRankings COUNTRY without pais: BadRequest', caller: 'key', query: RANKINGS, variables: { s: 'COUNTRY' }, expect: { data: null, errors: ['BadRequestException'] } },
  {
    name: "myRank: the caller's own CITY entry",
    caller: 'beto',
    query: 'query { myRank(scope: CITY) { rank userId nickname puntos nivel ciudad pais date total } }',
    expect: (w) => ({ data: { myRank: { rank: 1, userId: w.ids.beto, nickname: 'beto', puntos: 150, nivel: 2, ciudad: 'Bogotá', pais: 'Colombia', date: w.today, total: 1 } } }),
  },
  { name: 'myRank with the API key: Unauthorized', caller: 'key', query: 'query { myRank(scope: GLOBAL) { rank } }', expect: { data: { myRank: null }, errors: ['Unauthorized'] } },

  // ---- media
  {
    name: 'requestUpload: a presigned PUT for the caller’s own key',
    caller: 'caro',
    query: 'mutation { requestUpload(kind: PHOTO, contentType: "image/jpeg", contentLength: 1000) { key uploadUrl method expiresAt headers } }',
    expect: (w) => ({
      data: {
        requestUpload: {
          key: any.matching(new RegExp(`^fotos/${w.ids.caro}/full_\\d+\\.jpg$`)),
          uploadUrl: any.url,
          method: 'PUT',
          expiresAt: any.isoDateTime,
          headers: any.matching(/image\/jpeg/),
        },
      },
    }),
  },
  { name: 'requestUpload of a type the kind refuses: BadRequest', caller: 'caro', query: 'mutation { requestUpload(kind: PHOTO, contentType: "text/plain", contentLength: 10) { key } }', expect: { data: null, errors: ['BadRequestException'] } },
  { name: 'listPhotos of a user without photos', caller: 'key', query: 'query L($u: ID!) { listPhotos(userId: $u) { items { photoId url } nextToken } }', variables: (w) => ({ u: w.ids.caro }), expect: { data: { listPhotos: { items: [], nextToken: null } } } },
  { name: 'deletePhoto of no such photo: false', caller: 'caro', query: 'mutation { deletePhoto(photoId: "1700000000000") }', expect: { data: { deletePhoto: false } } },

  // ---- presence
  {
    name: 'heartbeat: the caller online (every field a subscriber of onPresenceChanged may select)',
    caller: 'dani',
    query: 'mutation { heartbeat { userId isOnline lastSeen } }',
    expect: (w) => ({ data: { heartbeat: { userId: w.ids.dani, isOnline: true, lastSeen: null } } }),
  },

  // ---- authorization by mode
  { name: 'a wrong API key: the request is refused (401)', caller: 'badKey', query: GET_USER, variables: (w) => ({ id: w.ids.ana }), expect: { status: 401, errors: ['UnauthorizedException'] } },
  { name: 'no credentials: the request is refused (401)', caller: 'nobody', query: GET_USER, variables: (w) => ({ id: w.ids.ana }), expect: { status: 401, errors: ['UnauthorizedException'] } },
  {
    name: 'a user-pool token reads public fields too',
    caller: 'dani',
    query: 'query G($id: ID!) { getUser(userId: $id) { nickname } getRankings(scope: GLOBAL, limit: 1) { total } }',
    variables: (w) => ({ id: w.ids.ana }),
    expect: { data: { getUser: { nickname: 'ana' }, getRankings: { total: 5 } } },
  },
  {
    name: 'the API key may read a public field but not a user-pool-only one in the same request',
    caller: 'key',
    query: 'query G($id: ID!) { getUser(userId: $id) { nickname } listMessages(withUserId: $id) { nextToken } }',
    variables: (w) => ({ id: w.ids.ana }),
    expect: { data: null, errors: ['Unauthorized'] },
  },
];
