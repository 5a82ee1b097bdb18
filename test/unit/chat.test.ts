/**
 * 1:1 chat (ChatService) on a real store. The cases are a suite of a Store: this file runs them
 * on SQLite; test/adapters/chat-dynamodb.test.ts on DynamoDB Local.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import type { ChatMessage } from '../../src/domain/chat/chat-service.ts';
import { conversationIdOf, inboxKey } from '../../src/domain/chat/keys.ts';
import {
  isEntry,
  limits,
  rawPartition,
  sqliteStore,
  withFixture as withStore,
  yielding,
  type SocialFixture,
  type Store,
} from './support-social.ts';
import { ChatService } from '../../src/domain/chat/chat-service.ts';
import { randomIds } from '../../src/ports/ids.ts';

const code = (c: string) => (err: unknown) => err instanceof AppError && err.code === c;

export interface ChatSizes {
  /** Messages sent by 10 concurrent senders in one frozen millisecond. */
  burst: number;
  /** Messages sent by 10 racing senders on a moving clock. */
  racing: number;
}

async function allMessages(f: SocialFixture, caller: string, other: string, limit: number): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await f.chat.listMessages(caller, other, limit, cursor);
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

export function chatSuite(store: Store, sizes: ChatSizes = { burst: 1000, racing: 200 }): void {
  const withFixture = (run: (f: SocialFixture) => Promise<void>) => withStore(store, run);
  const { burst } = sizes;

  describe(`chat: seed key formats (${store.name})`, () => {
    test('conversationId is order-independent; a message is stored under (conversationId, "<ISO>#<seq>")', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        const cid = conversationIdOf(a, b);
        assert.equal(cid, conversationIdOf(b, a));
        assert.equal(cid, `${a}#${b}`);
        const { message } = await f.chat.sendMessage(b, a, 'hola', 'c-1');
        const raw = await rawPartition(f.tables, f.names.chats, cid);
        assert.equal(raw.length, 1);
        assert.deepEqual(raw[0], {
          conversationId: cid,
          timestamp: '2026-01-01T00:00:00.000Z#0000000001',
          messageId: message.messageId,
          seq: 1,
          senderId: b,
          receiverId: a,
          message: 'hola',
          readStatus: 'SENT',
          createdAt: '2026-01-01T00:00:00.000Z',
          clientMessageId: 'c-1',
        });
      }));
  });

  describe(`sending (${store.name})`, () => {
    test(`${burst} messages from concurrent senders in one frozen millisecond: all stored, one order, paged exactly once by both`, () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        // A networked-store-like interleaving: every store call yields to the event loop.
        const chat = new ChatService({ tables: yielding(f.tables), tableNames: f.names, clock: f.clock, ids: randomIds, limits: limits });
        const sent: Array<{ sender: string; clientId: string; text: string; messageId?: string }> = [];
        for (let i = 0; i < burst; i++) sent.push({ sender: i % 2 ? a : b, clientId: `cm-${i}`, text: `message ${i}` });
        let next = 0;
        const sender = async () => {
          while (next < sent.length) {
            const s = sent[next++];
            const r = await chat.sendMessage(s.sender, s.sender === a ? b : a, s.text, s.clientId);
            assert.equal(r.created, true);
            s.messageId = r.message.messageId;
          }
        };
        await Promise.all(Array.from({ length: 10 }, sender));

        const cid = conversationIdOf(a, b);
        assert.equal((await rawPartition(f.tables, f.names.chats, cid)).length, burst);
        const seenByA = await allMessages(f, a, b, 37);
        const seenByB = await allMessages(f, b, a, 41);
        assert.equal(seenByA.length, burst);
        assert.deepEqual(
          seenByA.map((m) => m.messageId),
          seenByB.map((m) => m.messageId),
        );
        assert.deepEqual(
          seenByA.map((m) => m.seq),
          Array.from({ length: burst }, (_, i) => burst - i),
        );
        assert.equal(new Set(seenByA.map((m) => m.timestamp)).size, burst);
        assert.deepEqual(new Set(seenByA.map((m) => m.messageId)), new Set(sent.map((s) => s.messageId)));

        // Resending 10 % with their client ids stores nothing and returns the originals.
        for (const s of sent.filter((_, i) => i % 10 === 3)) {
          const r = await f.chat.sendMessage(s.sender, s.sender === a ? b : a, s.text, s.clientId);
          assert.equal(r.created, false);
          assert.equal(r.message.messageId, s.messageId);
          assert.equal(r.message.message, s.text);
        }
        assert.equal((await rawPartition(f.tables, f.names.chats, cid)).length, burst);
        const inbox = await f.chat.listConversations(b);
        assert.equal(inbox.items[0].lastSeq, burst);
      }));

    test('with a moving clock, racing senders still get seqs 1..n without gaps or duplicates, in time order', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        let t = Date.UTC(2026, 0, 1);
        const ticking = { now: () => (t += 1) };
        const chat = new ChatService({ tables: yielding(f.tables), tableNames: f.names, clock: ticking, ids: randomIds, limits });
        let next = 0;
        await Promise.all(
          Array.from({ length: 10 }, async (_, w) => {
            while (next < sizes.racing) {
              next++;
              await chat.sendMessage(w % 2 ? a : b, w % 2 ? b : a, `m${next}`);
            }
          }),
        );
        const msgs = (await allMessages(f, a, b, 100)).reverse();
        assert.deepEqual(
          msgs.map((m) => m.seq),
          Array.from({ length: msgs.length }, (_, i) => i + 1),
        );
        assert.ok(msgs.length >= sizes.racing);
        assert.ok(msgs.every((m, i) => i === 0 || m.createdAt >= msgs[i - 1].createdAt));
      }));

    test('concurrent retries of one send store it once', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        const chat = new ChatService({ tables: yielding(f.tables), tableNames: f.names, clock: f.clock, ids: randomIds, limits: limits });
        const results = await Promise.all(Array.from({ length: 20 }, () => chat.sendMessage(a, b, 'once', 'same-id')));
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.message.messageId)).size, 1);
        assert.equal((await rawPartition(f.tables, f.names.chats, conversationIdOf(a, b))).length, 1);
      }));

    test('bad sends are refused and store nothing', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        const max = limits.messageMaxLength;
        await assert.rejects(f.chat.sendMessage(a, a, 'me'), code(ErrorCode.BadRequest));
        await assert.rejects(f.chat.sendMessage(a, 'nobody', 'hi'), code(ErrorCode.NotFound));
        await assert.rejects(f.chat.sendMessage(a, 'bad#id', 'hi'), code(ErrorCode.BadRequest));
        for (const text of ['', '   \n\t ', 'x'.repeat(max + 1), null as unknown as string]) {
          await assert.rejects(f.chat.sendMessage(a, b, text), code(ErrorCode.BadRequest));
        }
        await assert.rejects(f.chat.sendMessage(a, b, 'hi', ''), code(ErrorCode.BadRequest));
        assert.equal((await rawPartition(f.tables, f.names.chats, conversationIdOf(a, b))).length, 0);
        // The limit counts characters, not UTF-16 units.
        assert.equal((await f.chat.sendMessage(a, b, '😀'.repeat(max))).created, true);
        // A client id reused for another text is a conflict, not a silent duplicate.
        await f.chat.sendMessage(a, b, 'first', 'k');
        await assert.rejects(f.chat.sendMessage(a, b, 'second', 'k'), code(ErrorCode.Conflict));
        assert.equal((await rawPartition(f.tables, f.names.chats, conversationIdOf(a, b))).length, 2);
      }));
  });

  describe(`inbox and read marks (${store.name})`, () => {
    test('listConversations: newest first, other user, last message, unread count', () =>
      withFixture(async (f) => {
        const clock = f.clock;
        const [me, x, y, z] = await f.users(4);
        await f.chat.sendMessage(x, me, 'from x');
        clock.advance(1000);
        await f.chat.sendMessage(y, me, 'from y 1');
        await f.chat.sendMessage(y, me, 'from y 2');
        clock.advance(1000);
        await f.chat.sendMessage(me, z, 'to z');
        clock.advance(1000);
        await f.chat.sendMessage(x, me, 'from x again');

        const inbox = await f.chat.listConversations(me);
        assert.deepEqual(
          inbox.items.map((c) => [c.otherUserId, c.lastMessage?.message, c.unreadCount, c.otherUser?.userId]),
          [
            [x, 'from x again', 2, x],
            [z, 'to z', 0, z],
            [y, 'from y 2', 2, y],
          ],
        );
        const page1 = await f.chat.listConversations(me, 2);
        const page2 = await f.chat.listConversations(me, 2, page1.cursor);
        assert.deepEqual(
          [...page1.items, ...page2.items].map((c) => c.otherUserId),
          [x, z, y],
        );
        assert.deepEqual((await f.chat.listConversations(z)).items.map((c) => [c.otherUserId, c.unreadCount]), [[me, 1]]);

        const read = await f.chat.markConversationRead(me, y);
        assert.deepEqual(read, { conversationId: conversationIdOf(me, y), lastReadSeq: 2, unreadCount: 0, changed: true });
        const messages = await f.chat.listMessages(y, me);
        assert.deepEqual(
          messages.items.map((m) => m.readStatus),
          ['READ', 'READ'],
        );
        assert.equal((await f.chat.listConversations(y)).items[0].lastMessage?.readStatus, 'READ');
      }));

    test('read marks arriving out of order (50, 40, 60, 60, 55) from two devices never go backwards', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        for (let i = 1; i <= 70; i++) await f.chat.sendMessage(i % 7 === 0 ? a : b, i % 7 === 0 ? b : a, `m${i}`);
        const unreadAfter = (seq: number) => Array.from({ length: 70 }, (_, i) => i + 1).filter((s) => s > seq && s % 7 !== 0).length;
        const chat = new ChatService({ tables: yielding(f.tables), tableNames: f.names, clock: f.clock, ids: randomIds, limits: limits });
        const stored: number[] = [];
        const device = async (marks: number[]) => {
          for (const m of marks) {
            const r = await chat.markConversationRead(a, b, m);
            assert.equal(r.unreadCount, unreadAfter(r.lastReadSeq));
            const item = await f.tables.get(f.names.chats, inboxKey(a, conversationIdOf(a, b)));
            stored.push(Number(item?.lastReadSeq));
          }
        };
        await Promise.all([device([50, 60, 55]), device([40, 60])]);
        // Sampled after every mark, the stored mark never decreased, and ends at 60.
        assert.ok(stored.every((v, i) => i === 0 || v >= stored[i - 1]), `stored marks went back: ${stored}`);
        assert.equal(stored.at(-1), 60);
        const state = await f.chat.markConversationRead(a, b, 10);
        assert.deepEqual(state, { conversationId: conversationIdOf(a, b), lastReadSeq: 60, unreadCount: unreadAfter(60), changed: false });
        const inbox = (await f.chat.listConversations(a)).items[0];
        assert.equal(inbox.lastReadSeq, 60);
        assert.equal(inbox.unreadCount, unreadAfter(60));
        // A mark beyond the last message stops at it; a new message is unread again.
        assert.equal((await f.chat.markConversationRead(a, b, 999)).lastReadSeq, 70);
        await f.chat.sendMessage(b, a, 'new');
        assert.equal((await f.chat.listConversations(a)).items[0].unreadCount, 1);
        await assert.rejects(f.chat.markConversationRead(a, b, -1), code(ErrorCode.BadRequest));
      }));

    test('authorization by construction: an outsider cannot read or mark a conversation they are not in', () =>
      withFixture(async (f) => {
        const [a, b, c] = await f.users(3);
        for (let i = 0; i < 5; i++) await f.chat.sendMessage(a, b, `secret ${i}`);
        const page = await f.chat.listMessages(a, b, 2);
        // c naming either participant only ever reaches c's own conversation with them (empty).
        assert.deepEqual((await f.chat.listMessages(c, a)).items, []);
        assert.deepEqual((await f.chat.listMessages(c, b)).items, []);
        assert.deepEqual((await f.chat.listConversations(c)).items, []);
        // A token from a's listing does not open the a-b conversation to c.
        await assert.rejects(f.chat.listMessages(c, b, 2, page.cursor), code(ErrorCode.BadRequest));
        await assert.rejects(f.chat.listConversations(c, 2, page.cursor), code(ErrorCode.BadRequest));
        // Marking with either participant's id never touches a-b's marks.
        assert.equal((await f.chat.markConversationRead(c, a)).changed, false);
        assert.equal((await f.chat.markConversationRead(c, b)).changed, false);
        assert.equal((await f.chat.listConversations(b)).items[0].unreadCount, 5);
        // Ids that would address someone else's keys are not user ids.
        for (const forged of [`${a}#${b}`, `INBOX#${b}`, `DEDUP#${a}`]) {
          await assert.rejects(f.chat.listMessages(c, forged), code(ErrorCode.BadRequest));
          await assert.rejects(f.chat.markConversationRead(c, forged), code(ErrorCode.BadRequest));
        }
        await assert.rejects(f.chat.listMessages(a, a), code(ErrorCode.BadRequest));
      }));

    test("the chat table's reserved words are not user ids: INBOX and DEDUP never reach the caller's own inbox rows", () =>
      withFixture(async (f) => {
        // 'user-…' sorts after 'INBOX', so conversationIdOf(a, 'INBOX') would be a's inbox partition.
        const [a, b] = await f.users(2);
        await f.chat.sendMessage(b, a, 'hola');
        assert.equal(conversationIdOf(a, 'INBOX'), inboxKey(a, 'x').conversationId);
        for (const reserved of ['INBOX', 'DEDUP']) {
          await assert.rejects(f.chat.listMessages(a, reserved), code(ErrorCode.BadRequest));
          await assert.rejects(f.chat.markConversationRead(a, reserved), code(ErrorCode.BadRequest));
          await assert.rejects(f.chat.sendMessage(a, reserved, 'hi'), code(ErrorCode.BadRequest));
        }
      }));
  });
}

if (isEntry(import.meta.url)) chatSuite(sqliteStore);
