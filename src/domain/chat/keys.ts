/** Key formats of BIILIVEDB-CHATS (documented with the table in src/domain/tables.ts). */
import type { Key } from '../../ports/tables.ts';

export const INBOX_INDEX = 'inbox-index';
const SEQ_DIGITS = 10;

/** Order-independent: the two user ids (never containing '#') sorted and joined by '#'. */
export const conversationIdOf = (a: string, b: string): string => (a < b ? `${a}#${b}` : `${b}#${a}`);

/** "<ISO time>#<seq>": unique per conversation; sorts by seq as long as times never go backwards. */
export const messageSortKey = (atMs: number, seq: number): string =>
  `${new Date(atMs).toISOString()}#${String(seq).padStart(SEQ_DIGITS, '0')}`;

export const messageKey = (conversationId: string, timestamp: string): Key => ({ conversationId, timestamp });

export const inboxKey = (ownerId: string, conversationId: string): Key => ({
  conversationId: `INBOX#${ownerId}`,
  timestamp: conversationId,
});

export const inboxSortOf = (lastMessageTimestamp: string, conversationId: string) => `${lastMessageTimestamp}#${conversationId}`;

export const dedupKey = (conversationId: string, senderId: string, clientMessageId: string): Key => ({
  conversationId: `DEDUP#${conversationId}`,
  timestamp: `${senderId}#${clientMessageId}`,
});
