import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Item } from '../../src/ports/tables.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { graphqlCaller } from '../support/graphql-client.ts';

// 1:1 chat over real HTTP with real user-pool tokens, checked against the raw BIILIVEDB-CHATS items.
const PASSWORD = 'Ch4t-Passw0rd!';
const MAX_LENGTH = 280;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;

interface Reply {
  status: number;
  json: { data?: Record<string, Json> | null; errors?: Array<{ errorType: string | null; message: string }> };
}

interface Msg {
  conversationId: string;
  timestamp: string;
  messageId: string;
  seq: number;
  senderId: string;
  receiverId: string;
  message: string;
  readStatus: 'SENT' | 'READ';
  clientMessageId: string | null;
  createdAt: string;
}

const MESSAGE_FIELDS = 'conversationId timestamp messageId seq senderId receiverId message readStatus clientMessageId createdAt';
const SEND = `mutation S($to: ID!, $text: String!, $cid: String) { sendMessage(receiverId: $to, message: $text, clientMessageId: $cid) { ${MESSAGE_FIELDS} } }`;
const LIST = `query L($with: ID!, $limit: Int, $next: String) { listMessages(withUserId: $with, limit: $limit, nextToken: $next) { items { ${MESSAGE_FIELDS} } nextToken } }`;
const INBOX = `query C($limit: Int, $next: String) { listConversations(limit: $limit, nextToken: $next) {
  items { conversationId otherUserId otherUser { userId nickname } lastMessage { messageId message senderId readStatus } unreadCount lastReadSeq lastSeq updatedAt }
  nextToken } }`;
const MARK = 'mutation M($with: ID!, $upTo: Int) { markConversationRead(withUserId: $with, upToSeq: $upTo) { conversationId readerId withUserId lastReadSeq unreadCount changed } }';

describe('chat over GraphQL', () => {
  let s: TestServer;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  const { gql, data } = graphqlCaller<Reply['json']>(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
  const send = async (from: string, to: string, text: string, cid?: string): Promise<Msg> =>
    (await data(SEND, { to: ids[to], text, cid }, from)).sendMessage;
  const errorType = (r: Reply) => r.json.errors?.[0]?.errorType;

  /** Every item of the chats table, raw (messages, inbox summaries, dedup claims). */
  const rawChats = async (): Promise<Item[]> => {
    const out: Item[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.app.tables.scan({ table: s.app.config.tables.chats, cursor, limit: 500 });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  };

  /** Walks listMessages to the end; returns the messages in the order served. */
  const walk = async (who: string, withUser: string, limit: number): Promise<Msg[]> => {
    const out: Msg[] = [];
    let next: string | null = null;
    do {
      const page: { items: Msg[]; nextToken: string | null } = (await data(LIST, { with: ids[withUser], limit, next }, who)).listMessages;
      out.push(...page.items);
      next = page.nextToken;
      assert.ok(out.length <= 5000, 'pagination terminates');
    } while (next);
    return out;
  };

  before(async () => {
    s = await startTestServer({ limits: { messageMaxLength: MAX_LENGTH } });
    for (const name of ['ana', 'beto', 'caro']) {
      ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
      tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
    }
  });
  after(async () => {
    await s?.stop();
  });

  test('send, list newest first, inbox with unread counts, mark read (never backwards)', async () => {
    const hola = await send('ana', 'beto', 'hola', 'c-1');
    const reply = await send('beto', 'ana', 'qué tal 👋');
    const bien = await send('ana', 'beto', 'bien');
    assert.deepEqual(
      { senderId: hola.senderId, receiverId: hola.receiverId, seq: hola.seq, readStatus: hola.readStatus, clientMessageId: hola.clientMessageId },
      { senderId: ids.ana, receiverId: ids.beto, seq: 1, readStatus: 'SENT', clientMessageId: 'c-1' },
    );
    assert.equal(reply.conversationId, hola.conversationId, 'one conversation, whoever sends');
    assert.equal(reply.clientMessageId, null);

    // The raw message item: the seed's keys and attributes.
    const raw = await s.app.tables.get(s.app.config.tables.chats, { conversationId: hola.conversationId, timestamp: hola.timestamp });
    assert.equal(raw?.senderId, ids.ana);
    assert.equal(raw?.receiverId, ids.beto);
    assert.equal(raw?.message, 'hola');
    assert.equal(raw?.readStatus, 'SENT');
    assert.match(hola.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#\d{10}$/);

    const betoView = (await data(LIST, { with: ids.ana }, 'beto')).listMessages;
    assert.deepEqual(betoView.items.map((m: Msg) => m.message), ['bien', 'qué tal 👋', 'hola']);
    assert.deepEqual(betoView.items.map((m: Msg) => m.seq), [3, 2, 1]);
    assert.equal(betoView.nextToken, null);
    assert.deepEqual((await data(LIST, { with: ids.beto }, 'ana')).listMessages, betoView, 'the same list for both participants');

    const betoInbox = (await data(INBOX, null, 'beto')).listConversations;
    assert.deepEqual(betoInbox, {
      items: [
        {
          conversationId: hola.conversationId,
          otherUserId: ids.ana,
          otherUser: { userId: ids.ana, nickname: 'ana' },
          lastMessage: { messageId: bien.messageId, message: 'bien', senderId: ids.ana, readStatus: 'SENT' },
          unreadCount: 2,
          lastReadSeq: 0,
          lastSeq: 3,
          updatedAt: bien.createdAt,
        },
      ],
      nextToken: null,
    });
    assert.equal((await data(INBOX, null, 'ana')).listConversations.items[0].unreadCount, 1);

    const read = (await data(MARK, { with: ids.ana }, 'beto')).markConversationRead;
    assert.deepEqual(read, { conversationId: hola.conversationId, readerId: ids.beto, withUserId: ids.ana, lastReadSeq: 3, unreadCount: 0, changed: true });
    assert.equal((await data(MARK, { with: ids.ana }, 'beto')).markConversationRead.changed, false, 'a repeat is a no-op');
    const anaView = (await data(LIST, { with: ids.beto }, 'ana')).listMessages.items as Msg[];
    assert.deepEqual(anaView.map((m) => m.readStatus), ['READ', 'SENT', 'READ'], "ana's messages read by beto; beto's not yet read by ana");
    assert.equal((await data(INBOX, null, 'beto')).listConversations.items[0].unreadCount, 0);

    // Marks arriving out of order: the later (lower) one changes nothing.
    assert.deepEqual((await data(MARK, { with: ids.beto, upTo: 2 }, 'ana')).markConversationRead.lastReadSeq, 2);
    const late = (await data(MARK, { with: ids.beto, upTo: 1 }, 'ana')).markConversationRead;
    assert.deepEqual([late.lastReadSeq, late.changed], [2, false]);
    assert.equal(errorType(await gql(MARK, { with: ids.beto, upTo: -1 }, 'ana')), 'BadRequestException');
  });

  test('a retried send with the same clientMessageId returns the original and stores nothing new', async () => {
    const first = await send('ana', 'beto', 'una vez', 'retry-1');
    const before = await rawChats();
    const again = await send('ana', 'beto', 'una vez', 'retry-1');
    assert.deepEqual(again, first);
    assert.deepEqual(await rawChats(), before, 'nothing written');

    const reused = await gql(SEND, { to: ids.beto, text: 'otro texto', cid: 'retry-1' }, 'ana');
    assert.equal(errorType(reused), 'ConflictException');
    assert.deepEqual(await rawChats(), before);
    // Client ids are per sender: beto may use the same one.
    assert.notEqual((await send('beto', 'ana', 'una vez', 'retry-1')).messageId, first.messageId);
  });

  test('another user can only name their own conversations: nothing of ana and beto reaches caro', async () => {
    const before = await rawChats();
    const anaBeto = before.find((i) => i.senderId === ids.ana && i.receiverId === ids.beto)!.conversationId;
    assert.deepEqual((await data(LIST, { with: ids.ana }, 'caro')).listMessages, { items: [], nextToken: null });
    assert.deepEqual((await data(LIST, { with: ids.beto }, 'caro')).listMessages, { items: [], nextToken: null });
    assert.deepEqual((await data(INBOX, null, 'caro')).listConversations, { items: [], nextToken: null });
    const mark = (await data(MARK, { with: ids.ana }, 'caro')).markConversationRead;
    assert.deepEqual([mark.changed, mark.lastReadSeq], [false, 0]);
    assert.notEqual(mark.conversationId, anaBeto);
    assert.deepEqual(await rawChats(), before, 'no read mark moved');

    // There is no argument to name a conversation by id...
    const named = await gql(`{ listMessages(withUserId: "${ids.ana}", conversationId: "${anaBeto}") { items { message } } }`, null, 'caro');
    assert.equal(named.json.data, null);
    assert.match(named.json.errors![0].message, /UnknownArgument/);
    // ...and ana's nextToken does not open her conversation to caro.
    const page = (await data(LIST, { with: ids.beto, limit: 1 }, 'ana')).listMessages;
    const replay = await gql(LIST, { with: ids.beto, limit: 1, next: page.nextToken }, 'caro');
    assert.equal(errorType(replay), 'BadRequestException');
    assert.equal(replay.json.data, null);
  });

  test('bad input gets a clear error and stores nothing', async () => {
    const before = await rawChats();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ to: ids.beto, text: '' }, 'BadRequestException', /empty/],
      [{ to: ids.beto, text: '  \n ' }, 'BadRequestException', /empty/],
      [{ to: ids.beto, text: 'x'.repeat(MAX_LENGTH + 1) }, 'BadRequestException', new RegExp(`at most ${MAX_LENGTH}`)],
      [{ to: ids.ana, text: 'to myself' }, 'BadRequestException', /another user/],
      [{ to: randomUUID(), text: 'anyone?' }, 'NotFound', /not found/i],
      [{ to: 'a#b', text: 'hola' }, 'BadRequestException', /receiverId/],
      [{ to: ids.beto, text: 'hola', cid: 'x'.repeat(200) }, 'BadRequestException', /clientMessageId/],
    ];
    for (const [variables, type, message] of cases) {
      const r = await gql(SEND, variables, 'ana');
      assert.equal(r.status, 200);
      assert.equal(errorType(r), type, JSON.stringify(variables).slice(0, 60));
      assert.match(r.json.errors![0].message, message);
      assert.equal(r.json.data, null);
    }
    // Exactly the limit is fine (counted in characters, not UTF-16 units).
    assert.equal((await send('caro', 'beto', '😀'.repeat(MAX_LENGTH))).message.length, MAX_LENGTH * 2);

    const badLists: Array<[Record<string, unknown>, string]> = [
      [{ with: ids.beto, next: 'garbage' }, 'BadRequestException'],
      [{ with: ids.beto, limit: 0 }, 'BadRequestException'],
      [{ with: ids.beto, limit: 5000 }, 'BadRequestException'],
      [{ with: ids.ana }, 'BadRequestException'],
    ];
    for (const [variables, type] of badLists) assert.equal(errorType(await gql(LIST, variables, 'ana')), type, JSON.stringify(variables));
    assert.equal(errorType(await gql(INBOX, { next: 'garbage' }, 'ana')), 'BadRequestException');
    assert.equal(errorType(await gql(MARK, { with: ids.ana }, 'ana')), 'BadRequestException');
    assert.equal((await rawChats()).length, before.length + 3, 'only the one valid message (and its two inbox summaries) was stored');
  });

  test('1,000 messages from both sides, sent concurrently: each participant pages through all exactly once, in the same order', async () => {
    const N = 1000;
    const texts = Array.from({ length: N }, (_, i) => ({ from: i % 2 ? 'caro' : 'beto', to: i % 2 ? 'beto' : 'caro', text: `m${i}` }));
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < texts.length) {
          const t = texts[next++];
          await send(t.from, t.to, t.text, `bulk-${t.text}`);
        }
      }),
    );
    const betoView = await walk('beto', 'caro', 73);
    const caroView = await walk('caro', 'beto', 100);
    const earlier = 1; // the 😀 message of the bad-input test
    assert.equal(betoView.length, N + earlier);
    assert.deepEqual(caroView.map((m) => m.messageId), betoView.map((m) => m.messageId), 'the same order for both');
    assert.equal(new Set(betoView.map((m) => m.messageId)).size, N + earlier, 'each exactly once');
    assert.deepEqual(
      betoView.map((m) => m.seq),
      Array.from({ length: N + earlier }, (_, i) => N + earlier - i),
      'newest first, seq without gaps',
    );
    for (let i = 1; i < betoView.length; i++) assert.ok(betoView[i - 1].timestamp > betoView[i].timestamp, 'sort keys strictly ordered');
    assert.deepEqual(new Set(betoView.map((m) => m.message)), new Set([...texts.map((t) => t.text), '😀'.repeat(MAX_LENGTH)]));
  });
});
