import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Ids } from '../../ports/ids.ts';
import {
  ConditionalCheckFailedError,
  TransactionCanceledError,
  type Condition,
  type Item,
  type Tables,
  type TransactOperation,
} from '../../ports/tables.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { requireUserId } from '../social/keys.ts';
import { pageSize, withCursor } from '../social/paging.ts';
import type { TableNames } from '../tables.ts';
import { toProfile, type MediaUrl, type UserProfile } from '../users/profile.ts';
import { INBOX_INDEX, conversationIdOf, dedupKey, inboxKey, inboxSortOf, messageKey, messageSortKey } from './keys.ts';
import {
  toMessage,
  toSummary,
  validateClientMessageId,
  validateMessage,
  type ConversationPage,
  type MessagePage,
  type ReadState,
  type SendResult,
} from './messages.ts';

export type * from './messages.ts';

export interface ChatServiceDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'chats' | 'users'>;
  clock: Clock;
  ids: Ids;
  limits: Pick<Config['limits'], 'pageSizeMax' | 'pageSizeDefault' | 'messageMaxLength'>;
  /** Builds photo URLs from stored keys, per request (the current CDN base); without it, only stored URLs are read. */
  mediaUrl?: MediaUrl;
}

/** Concurrent sends to one conversation race for the next seq; the loser re-reads and retries. */
const MAX_SEND_ATTEMPTS = 200;
const MAX_MARK_ATTEMPTS = 50;

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/**
 * 1:1 chat. Authorization is by construction: every conversation id is derived from the caller's
 * own id and the other user's, never taken from input, so a caller can only ever reach
 * conversations they are part of.
 *
 * A send is one transaction: the message (never overwriting: attribute_not_exists), the dedup
 * item of (sender, clientMessageId) and both participants' inbox summaries, the latter
 * conditioned on the conversation's lastSeq being the one read: so seqs are 1, 2, 3... without
 * gaps or duplicates, however many senders race in the same millisecond. A retried send with the
 * same clientMessageId finds its dedup item and returns the original message; reusing a
 * clientMessageId for a different text is a Conflict. Dedup items are kept as long as the messages.
 */
export class ChatService {
  private readonly tables: Tables;
  private readonly chats: string;
  private readonly users: string;
  private readonly clock: Clock;
  private readonly ids: Ids;
  private readonly limits: ChatServiceDeps['limits'];
  private readonly mediaUrl: MediaUrl | undefined;

  constructor(deps: ChatServiceDeps) {
    this.tables = deps.tables;
    this.chats = deps.tableNames.chats;
    this.users = deps.tableNames.users;
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.limits = deps.limits;
    this.mediaUrl = deps.mediaUrl;
  }

  async sendMessage(callerSub: string, receiverId: string, message: string, clientMessageId?: string | null): Promise<SendResult> {
    this.other(callerSub, receiverId, 'receiverId');
    const text = validateMessage(message, this.limits.messageMaxLength);
    const clientId = validateClientMessageId(clientMessageId);
    const cid = conversationIdOf(callerSub, receiverId);
    const dedup = clientId === undefined ? undefined : dedupKey(cid, callerSub, clientId);

    if (dedup) {
      const original = await this.original(dedup, text);
      if (original) return { message: original, created: false };
    }
    if (!(await this.tables.get(this.users, { userId: receiverId }))) throw notFound('User not found');

    for (let attempt = 0; attempt < MAX_SEND_ATTEMPTS; attempt++) {
      if (attempt > 2) await sleep(Math.random() * Math.min(attempt, 10));
      const state = await this.tables.get(this.chats, inboxKey(callerSub, cid), { consistent: true });
      const prevSeq = num(state?.lastSeq);
      const seq = prevSeq + 1;
      // Never before the previous message, so the sort key order is the seq order.
      const at = Math.max(this.clock.now(), num(state?.lastMessageAtMs));
      const timestamp = messageSortKey(at, seq);
      const createdAt = new Date(at).toISOString();
      const item: Item = {
        conversationId: cid,
        timestamp,
        messageId: this.ids.uuid(),
        seq,
        senderId: callerSub,
        receiverId,
        message: text,
        readStatus: 'SENT',
        createdAt,
        ...(clientId !== undefined ? { clientMessageId: clientId } : {}),
      };
      const summary = {
        chatId: cid,
        lastSeq: seq,
        lastMessageAtMs: at,
        lastMessage: { timestamp, messageId: item.messageId, seq, senderId: callerSub, receiverId, message: text, createdAt },
        inboxSort: inboxSortOf(timestamp, cid),
        updatedAt: createdAt,
      };
      const sameState: Condition = prevSeq === 0 ? { notExists: 'lastSeq' } : { attr: 'lastSeq', op: '=', value: prevSeq };
      const inbox = (owner: string, other: string, unread: number): TransactOperation => ({
        update: {
          table: this.chats,
          key: inboxKey(owner, cid),
          set: { ...summary, ownerId: owner, otherUserId: other, inboxOwner: owner },
          setIfNotExists: { lastReadSeq: 0, createdAt },
          add: { unreadCount: unread },
          condition: sameState,
        },
      });
      const operations: TransactOperation[] = [
        { put: { table: this.chats, item, condition: { notExists: 'conversationId' } } },
        inbox(callerSub, receiverId, 0),
        inbox(receiverId, callerSub, 1),
      ];
      if (dedup) {
        operations.push({
          put: { table: this.chats, item: { ...dedup, messageTimestamp: timestamp, messageId: item.messageId }, condition: { notExists: 'conversationId' } },
        });
      }
      try {
        await this.tables.transactWrite(operations);
        return { message: toMessage(item, 0), created: true };
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        if (dedup && err.reasons[3] === 'ConditionalCheckFailed') {
          const original = await this.original(dedup, text);
          if (original) return { message: original, created: false };
        }
        // Another message took this seq first: re-read the state and try the next one.
      }
    }
    throw conflict('The conversation is too busy, try again');
  }

  /** The conversation with `withUserId`, newest first. */
  async listMessages(callerSub: string, withUserId: string, limit?: number | null, cursor?: string | null): Promise<MessagePage> {
    this.other(callerSub, withUserId, 'withUserId');
    const size = pageSize(limit, this.limits);
    const cid = conversationIdOf(callerSub, withUserId);
    const page = await withCursor(cursor, (c) =>
      this.tables.query({ table: this.chats, partition: cid, forward: false, limit: size, cursor: c }),
    );
    const readSeq = await this.readSeqs(cid, [callerSub, withUserId]);
    return {
      items: page.items.map((item) => toMessage(item, readSeq.get(String(item.receiverId)) ?? 0)),
      cursor: page.cursor,
    };
  }

  /** The caller's inbox: one summary per conversation, most recent first. */
  async listConversations(callerSub: string, limit?: number | null, cursor?: string | null): Promise<ConversationPage> {
    const size = pageSize(limit, this.limits);
    const page = await withCursor(cursor, (c) =>
      this.tables.query({ table: this.chats, index: INBOX_INDEX, partition: callerSub, forward: false, limit: size, cursor: c }),
    );
    const summaries = page.items.filter((item) => item.ownerId === callerSub);
    const others = summaries.map((item) => String(item.otherUserId));
    const [profiles, theirs] = await Promise.all([
      others.length ? this.tables.batchGet(this.users, others.map((userId) => ({ userId }))) : [],
      summaries.length ? this.tables.batchGet(this.chats, summaries.map((s) => inboxKey(String(s.otherUserId), String(s.chatId)))) : [],
    ]);
    const profileOf = new Map<string, UserProfile>(profiles.map((p) => [String(p.userId), toProfile(p, this.mediaUrl)]));
    const theirRead = new Map(theirs.map((t) => [String(t.ownerId), num(t.lastReadSeq)]));
    return {
      items: summaries.map((s) =>
        toSummary(s, theirRead.get(String(s.otherUserId)) ?? 0, profileOf.get(String(s.otherUserId)) ?? null),
      ),
      cursor: page.cursor,
    };
  }

  /**
   * How many conversations a user has (their inbox summaries), counting at most `max`: for
   * operators (the console), who see counts, never contents.
   */
  async countConversations(userId: string, max: number): Promise<{ count: number; capped: boolean }> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.tables.query({ table: this.chats, partition: inboxKey(userId, '').conversationId, limit: 1000, cursor });
      count += page.items.length;
      cursor = page.cursor;
    } while (cursor && count < max);
    return { count: Math.min(count, max), capped: count > max || (count === max && cursor !== undefined) };
  }

  /**
   * Moves the caller's read mark to `upToSeq` (default: the latest message) and recomputes their
   * unread count. The mark never goes backwards: a late or duplicate receipt is a no-op
   * (condition lastReadSeq < new), and a mark beyond the last message stops at it.
   */
  async markConversationRead(callerSub: string, withUserId: string, upToSeq?: number | null): Promise<ReadState> {
    this.other(callerSub, withUserId, 'withUserId');
    if (upToSeq !== undefined && upToSeq !== null && (!Number.isInteger(upToSeq) || upToSeq < 0)) {
      throw badRequest('upToSeq must be a non-negative integer', { field: 'upToSeq' });
    }
    const cid = conversationIdOf(callerSub, withUserId);
    const key = inboxKey(callerSub, cid);
    for (let attempt = 0; attempt < MAX_MARK_ATTEMPTS; attempt++) {
      const state = await this.tables.get(this.chats, key, { consistent: true });
      const lastSeq = num(state?.lastSeq);
      const lastReadSeq = num(state?.lastReadSeq);
      const target = Math.min(upToSeq ?? lastSeq, lastSeq);
      if (!state || target <= lastReadSeq) {
        return { conversationId: cid, lastReadSeq, unreadCount: num(state?.unreadCount), changed: false };
      }
      const unreadCount = target === lastSeq ? 0 : await this.countUnread(cid, withUserId, target);
      try {
        await this.tables.update({
          table: this.chats,
          key,
          set: { lastReadSeq: target, unreadCount },
          // lastSeq unchanged: no message arrived since unreadCount was computed.
          condition: {
            and: [
              { attr: 'lastSeq', op: '=', value: lastSeq },
              { or: [{ notExists: 'lastReadSeq' }, { attr: 'lastReadSeq', op: '<', value: target }] },
            ],
          },
        });
        return { conversationId: cid, lastReadSeq: target, unreadCount, changed: true };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedError)) throw err;
      }
    }
    throw conflict('The conversation is too busy, try again');
  }

  /** Validates the other participant's id; a conversation with yourself does not exist. */
  private other(callerSub: string, otherId: string, field: string): void {
    requireUserId(otherId, field);
    if (otherId === callerSub) throw badRequest('A conversation needs another user', { field });
  }

  private async original(dedup: ReturnType<typeof dedupKey>, text: string) {
    const claim = await this.tables.get(this.chats, dedup, { consistent: true });
    if (!claim) return undefined;
    const item = await this.tables.get(
      this.chats,
      messageKey(String(dedup.conversationId).slice('DEDUP#'.length), String(claim.messageTimestamp)),
      { consistent: true },
    );
    if (!item) return undefined;
    if (item.message !== text) throw conflict('clientMessageId was already used for a different message');
    const readSeq = await this.readSeqs(String(item.conversationId), [String(item.receiverId)]);
    return toMessage(item, readSeq.get(String(item.receiverId)) ?? 0);
  }

  private async readSeqs(cid: string, owners: string[]): Promise<Map<string, number>> {
    const items = await this.tables.batchGet(this.chats, owners.map((o) => inboxKey(o, cid)));
    return new Map(items.map((i) => [String(i.ownerId), num(i.lastReadSeq)]));
  }

  /** Messages from `senderId` after seq `after` (newest first, stops at `after`). */
  private async countUnread(cid: string, senderId: string, after: number): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.tables.query({ table: this.chats, partition: cid, forward: false, limit: 200, cursor, consistent: true });
      for (const item of page.items) {
        if (num(item.seq) <= after) return count;
        if (item.senderId === senderId) count++;
      }
      cursor = page.cursor;
    } while (cursor);
    return count;
  }
}
