/** Chat values as the API returns them, and input validation. */
import type { Item } from '../../ports/tables.ts';
import { badRequest } from '../errors.ts';
import type { UserProfile } from '../users/profile.ts';

export type ReadStatus = 'SENT' | 'READ';

export interface ChatMessage {
  conversationId: string;
  /** The sort key: "<ISO time>#<seq>". */
  timestamp: string;
  messageId: string;
  /** Position in the conversation, 1, 2, 3...: one order, the same for both participants. */
  seq: number;
  senderId: string;
  receiverId: string;
  message: string;
  /** READ once the receiver's read mark reached this message (derived from their lastReadSeq). */
  readStatus: ReadStatus;
  clientMessageId: string | null;
  createdAt: string;
}

export interface SendResult {
  message: ChatMessage;
  /** False for a retried send (same clientMessageId): the original, nothing new stored. */
  created: boolean;
}

export interface MessagePage {
  /** Newest first. */
  items: ChatMessage[];
  cursor?: string;
}

export interface ConversationSummary {
  conversationId: string;
  otherUserId: string;
  /** The other participant's profile, null if it no longer exists. */
  otherUser: UserProfile | null;
  lastMessage: ChatMessage | null;
  lastMessageAt: string | null;
  /** Messages from the other user after the caller's read mark. */
  unreadCount: number;
  lastReadSeq: number;
  lastSeq: number;
}

export interface ConversationPage {
  /** Most recent conversation first. */
  items: ConversationSummary[];
  cursor?: string;
}

export interface ReadState {
  conversationId: string;
  lastReadSeq: number;
  unreadCount: number;
  /** False when the mark would not move forward (a late or duplicate receipt): nothing changed. */
  changed: boolean;
}

const MAX_CLIENT_ID_LENGTH = 128;

export function validateMessage(text: unknown, maxLength: number): string {
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw badRequest('message must not be empty', { field: 'message' });
  }
  if ([...text].length > maxLength) {
    throw badRequest(`message must be at most ${maxLength} characters`, { field: 'message', maxLength });
  }
  return text;
}

export function validateClientMessageId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLIENT_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
    throw badRequest(`clientMessageId must be 1 to ${MAX_CLIENT_ID_LENGTH} printable characters`, { field: 'clientMessageId' });
  }
  return value;
}

const num = (v: unknown, fallback = 0) => (typeof v === 'number' ? v : fallback);

/** `receiverReadSeq`: the receiver's lastReadSeq in this conversation. */
export function toMessage(item: Item, receiverReadSeq: number): ChatMessage {
  const seq = num(item.seq);
  return {
    conversationId: String(item.conversationId),
    timestamp: String(item.timestamp),
    messageId: String(item.messageId ?? item.timestamp),
    seq,
    senderId: String(item.senderId),
    receiverId: String(item.receiverId),
    message: String(item.message ?? ''),
    readStatus: seq > 0 && seq <= receiverReadSeq ? 'READ' : 'SENT',
    clientMessageId: typeof item.clientMessageId === 'string' ? item.clientMessageId : null,
    createdAt: String(item.createdAt ?? ''),
  };
}

export function toSummary(item: Item, otherReadSeq: number, otherUser: UserProfile | null): ConversationSummary {
  const last = item.lastMessage;
  const lastMessage =
    last && typeof last === 'object' && !Array.isArray(last)
      ? toMessage({ ...last, conversationId: String(item.chatId) }, last.senderId === item.ownerId ? otherReadSeq : num(item.lastReadSeq))
      : null;
  return {
    conversationId: String(item.chatId),
    otherUserId: String(item.otherUserId),
    otherUser,
    lastMessage,
    lastMessageAt: lastMessage?.createdAt ?? null,
    unreadCount: num(item.unreadCount),
    lastReadSeq: num(item.lastReadSeq),
    lastSeq: num(item.lastSeq),
  };
}
