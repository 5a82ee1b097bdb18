import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { operations } from '../../src/api/registry.ts';
import type { Item } from '../../src/ports/tables.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

/**
 * The authorization matrix of the social and chat operations over real HTTP: for each operation,
 * no credential / the API key / another signed-in user / the right user. Exactly the allowed calls
 * succeed; the others get AppSync's errors (HTTP 401 UnauthorizedException without a credential,
 * an `Unauthorized` field error for a mode the field does not allow) and change nothing, checked
 * on the raw items of the social and chats tables.
 *
 * "Another user" has no way to act for someone else: every mutation takes the caller from the
 * token, every chat read derives the conversation from the caller's id. So another user's calls
 * succeed, but only on their own data: everything not touching them stays as it was.
 */
const PASSWORD = 'Authz-Passw0rd!';

type Auth = 'none' | 'key' | 'badkey' | 'garbage' | 'ana' | 'beto' | 'caro';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;

interface Reply {
  status: number;
  errorTypeHeader: string | null;
  json: { data?: Record<string, Json> | null; errors?: Array<Record<string, unknown>> };
}

interface Row {
  type: 'Query' | 'Mutation';
  field: string;
  query: string;
  /** Variables as ana (the right user) sends them. */
  vars: () => Record<string, unknown>;
  apiKey: boolean;
  /** What another user's successful call must (not) show. */
  other: (value: Json) => void;
  /** The right user's successful call. */
  right: (value: Json) => void;
}

describe('authorization matrix: social and chat operations over HTTP', () => {
  let s: TestServer;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let anaBeto = '';

  const gql = async (query: string, variables: Record<string, unknown> | null, auth: Auth): Promise<Reply> => {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
    if (auth === 'key') headers['x-api-key'] = s.app.installation.apiKey;
    if (auth === 'badkey') headers['x-api-key'] = 'da2-notthekeyofthisinstallation0';
    if (auth === 'garbage') headers.authorization = 'Bearer not-a-jwt';
    if (auth === 'ana' || auth === 'beto' || auth === 'caro') headers.authorization = tokens[auth];
    const res = await fetch(s.app.endpoints.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, errorTypeHeader: res.headers.get('x-amzn-errortype'), json: (await res.json()) as Reply['json'] };
  };
  const ok = (r: Reply, field: string) => {
    assert.equal(r.status, 200);
    assert.equal(r.json.errors, undefined, JSON.stringify(r.json.errors));
    return r.json.data![field];
  };

  /** Every raw item of the social and chats tables, optionally leaving out those that mention `except`. */
  const snapshot = async (except?: string): Promise<string[]> => {
    const out: string[] = [];
    for (const table of [s.app.config.tables.social, s.app.config.tables.chats]) {
      let cursor: string | undefined;
      do {
        const page = await s.app.tables.scan({ table, cursor, limit: 500 });
        out.push(...page.items.map((i: Item) => JSON.stringify(i)).filter((j) => !except || !j.includes(except)));
        cursor = page.cursor;
      } while (cursor);
    }
    return out.sort();
  };

  before(async () => {
    s = await startTestServer();
    for (const name of ['ana', 'beto', 'caro']) {
      ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
      tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
    }
    // ana follows beto; ana and beto have a conversation with one unread message for ana.
    ok(await gql(`mutation { followUser(followedId: "${ids.beto}") { followerId } }`, null, 'ana'), 'followUser');
    const sent = ok(await gql(`mutation { sendMessage(receiverId: "${ids.beto}", message: "hola") { conversationId } }`, null, 'ana'), 'sendMessage');
    anaBeto = sent.conversationId;
    ok(await gql(`mutation { sendMessage(receiverId: "${ids.ana}", message: "hey") { seq } }`, null, 'beto'), 'sendMessage');
  });
  after(async () => {
    await s?.stop();
  });

  const userIds = (conn: { items: Array<{ userId: string }> }) => conn.items.map((u) => u.userId);

  // Reads first (ana follows beto at that point), then the mutations that change it.
  const rows: Row[] = [
    {
      type: 'Query',
      field: 'isFollowing',
      query: 'query Q($a: ID!, $b: ID!) { isFollowing(followerId: $a, followedId: $b) }',
      vars: () => ({ a: ids.ana, b: ids.beto }),
      apiKey: true,
      other: (v) => assert.equal(v, true, 'a public fact'),
      right: (v) => assert.equal(v, true),
    },
    {
      type: 'Query',
      field: 'listFollowing',
      query: 'query Q($id: ID!) { listFollowing(userId: $id) { items { userId nickname } nextToken } }',
      vars: () => ({ id: ids.ana }),
      apiKey: true,
      other: (v) => assert.deepEqual(userIds(v), [ids.beto]),
      right: (v) => assert.deepEqual(userIds(v), [ids.beto]),
    },
    {
      type: 'Query',
      field: 'listFollowers',
      query: 'query Q($id: ID!) { listFollowers(userId: $id) { items { userId nickname } nextToken } }',
      vars: () => ({ id: ids.beto }),
      apiKey: true,
      other: (v) => assert.deepEqual(userIds(v), [ids.ana]),
      right: (v) => assert.deepEqual(userIds(v), [ids.ana]),
    },
    {
      type: 'Query',
      field: 'listMessages',
      query: 'query Q($with: ID!) { listMessages(withUserId: $with) { items { conversationId senderId message } nextToken } }',
      vars: () => ({ with: ids.beto }),
      apiKey: false,
      other: (v) => assert.deepEqual(v, { items: [], nextToken: null }, "caro's own (empty) conversation with beto"),
      right: (v) => assert.deepEqual(v.items.map((m: { message: string }) => m.message), ['hey', 'hola']),
    },
    {
      type: 'Query',
      field: 'listConversations',
      query: 'query { listConversations { items { conversationId otherUserId unreadCount } nextToken } }',
      vars: () => ({}),
      apiKey: false,
      other: (v) => assert.deepEqual(v, { items: [], nextToken: null }),
      right: (v) => assert.deepEqual(v.items, [{ conversationId: anaBeto, otherUserId: ids.beto, unreadCount: 1 }]),
    },
    {
      type: 'Mutation',
      field: 'markConversationRead',
      query: 'mutation M($with: ID!) { markConversationRead(withUserId: $with) { conversationId readerId lastReadSeq unreadCount changed } }',
      vars: () => ({ with: ids.beto }),
      apiKey: false,
      other: (v) => {
        assert.equal(v.readerId, ids.caro);
        assert.notEqual(v.conversationId, anaBeto);
        assert.equal(v.changed, false);
      },
      right: (v) => assert.deepEqual(v, { conversationId: anaBeto, readerId: ids.ana, lastReadSeq: 2, unreadCount: 0, changed: true }),
    },
    {
      type: 'Mutation',
      field: 'sendMessage',
      query: 'mutation M($to: ID!) { sendMessage(receiverId: $to, message: "matrix", clientMessageId: "m-1") { conversationId senderId receiverId } }',
      vars: () => ({ to: ids.beto }),
      apiKey: false,
      other: (v) => {
        assert.equal(v.senderId, ids.caro, 'always sent as the caller');
        assert.notEqual(v.conversationId, anaBeto);
      },
      right: (v) => assert.deepEqual(v, { conversationId: anaBeto, senderId: ids.ana, receiverId: ids.beto }),
    },
    {
      type: 'Mutation',
      field: 'unfollowUser',
      query: 'mutation M($id: ID!) { unfollowUser(followedId: $id) }',
      vars: () => ({ id: ids.beto }),
      apiKey: false,
      other: (v) => assert.equal(v, false, "caro does not follow beto; ana's edge is not hers to remove"),
      right: (v) => assert.equal(v, true),
    },
    {
      type: 'Mutation',
      field: 'followUser',
      query: 'mutation M($id: ID!) { followUser(followedId: $id) { followerId followedId } }',
      vars: () => ({ id: ids.beto }),
      apiKey: false,
      other: (v) => assert.deepEqual(v, { followerId: ids.caro, followedId: ids.beto }, 'always followed as the caller'),
      right: (v) => assert.deepEqual(v, { followerId: ids.ana, followedId: ids.beto }),
    },
  ];

  for (const row of rows) {
    test(`${row.field}: none 401, API key ${row.apiKey ? 'allowed' : 'Unauthorized'}, another user only their own, the right user`, async () => {
      const vars = row.vars();
      const initial = await snapshot();

      for (const auth of ['none', 'badkey', 'garbage'] as const) {
        const r = await gql(row.query, vars, auth);
        assert.equal(r.status, 401, auth);
        assert.equal(r.errorTypeHeader, 'UnauthorizedException');
        assert.equal(r.json.errors?.[0]?.errorType, 'UnauthorizedException');
        assert.equal(r.json.data, undefined);
      }
      assert.deepEqual(await snapshot(), initial, 'refused requests changed nothing');

      const byKey = await gql(row.query, vars, 'key');
      assert.equal(byKey.status, 200);
      if (row.apiKey) {
        row.right(ok(byKey, row.field));
      } else {
        assert.deepEqual(byKey.json, {
          data: null,
          errors: [
            {
              path: [row.field],
              data: null,
              errorType: 'Unauthorized',
              errorInfo: null,
              locations: byKey.json.errors![0].locations,
              message: `Not Authorized to access ${row.field} on type ${row.type}`,
            },
          ],
        });
        assert.deepEqual(await snapshot(), initial, 'the API key changed nothing');
      }

      row.other(ok(await gql(row.query, vars, 'caro'), row.field));
      assert.deepEqual(await snapshot(ids.caro), initial.filter((j) => !j.includes(ids.caro)), 'another user changed nothing but their own items');

      row.right(ok(await gql(row.query, vars, 'ana'), row.field));
    });
  }

  test('the matrix covers every operation served by the social and chat services', () => {
    const served = operations.filter((o) => o.uses.some((u) => u === 'social' || u === 'chat'));
    assert.deepEqual(rows.map((r) => `${r.type}.${r.field}`).sort(), served.map((o) => `${o.type}.${o.field}`).sort());
    assert.deepEqual(rows.map((r) => r.field).sort(), [
      'followUser',
      'isFollowing',
      'listConversations',
      'listFollowers',
      'listFollowing',
      'listMessages',
      'markConversationRead',
      'sendMessage',
      'unfollowUser',
    ]);
  });

  test('heartbeat: user pool only, marks the caller online', async () => {
    const query = 'mutation { heartbeat { userId isOnline } }';
    assert.equal((await gql(query, null, 'none')).status, 401);
    assert.equal((await gql(query, null, 'key')).json.errors?.[0]?.errorType, 'Unauthorized');
    const byUser = await gql(query, null, 'ana');
    assert.deepEqual(byUser.json, { data: { heartbeat: { userId: ids.ana, isOnline: true } } });
  });

  test('subscriptions are refused over HTTP for every credential', async () => {
    for (const query of [
      `subscription { onMessageReceived(receiverId: "${ids.ana}") { message } }`,
      `subscription { onNewFollower(followedId: "${ids.ana}") { followerId } }`,
      `subscription { onPresenceChanged(userId: "${ids.ana}") { isOnline } }`,
    ]) {
      assert.equal((await gql(query, null, 'none')).status, 401);
      for (const auth of ['key', 'ana'] as const) {
        const r = await gql(query, null, auth);
        assert.equal(r.status, 200);
        assert.equal(r.json.data, null);
        assert.match(String(r.json.errors?.[0]?.message), /realtime/);
      }
    }
  });
});
