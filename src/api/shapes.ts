/**
 * Domain values -> the object types of schema.graphql that are not stored as such (Follow,
 * Conversation, ReadReceipt, connections). Nested users are resolved lazily: graphql's default
 * resolver calls a function property, so a profile is read only when the query selects it.
 */
import type { ConversationSummary, ReadState } from '../domain/chat/chat-service.ts';
import type { FollowEdge, FollowEntry } from '../domain/social/social-service.ts';
import type { UserProfile, UsersService } from '../domain/users/users-service.ts';
import { encodeNextToken } from './pagination.ts';

export interface Connection<T> {
  items: T[];
  nextToken: string | null;
}

export const connection = <T>(scope: string, items: T[], cursor: string | undefined): Connection<T> => ({
  items,
  nextToken: encodeNextToken(scope, cursor),
});

export function followOf(edge: FollowEdge, users: Pick<UsersService, 'getUser'>) {
  return {
    followerId: edge.followerId,
    followedId: edge.followedId,
    createdAt: edge.createdAt,
    follower: () => users.getUser(edge.followerId),
    followed: () => users.getUser(edge.followedId),
  };
}

/** A follow list's users. An edge whose user has no profile any more is left out (`items` is `[User!]!`). */
export const profilesOf = (entries: FollowEntry[]): UserProfile[] =>
  entries.flatMap((e) => (e.profile ? [e.profile] : []));

export function conversationOf(s: ConversationSummary) {
  return {
    conversationId: s.conversationId,
    otherUserId: s.otherUserId,
    otherUser: s.otherUser,
    lastMessage: s.lastMessage,
    unreadCount: s.unreadCount,
    lastReadSeq: s.lastReadSeq,
    lastSeq: s.lastSeq,
    updatedAt: s.lastMessageAt,
  };
}

export const readReceiptOf = (state: ReadState, readerId: string, withUserId: string) => ({
  conversationId: state.conversationId,
  readerId,
  withUserId,
  lastReadSeq: state.lastReadSeq,
  unreadCount: state.unreadCount,
  changed: state.changed,
});
