import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';
import { readReceiptOf } from '../shapes.ts';

/** Moves the caller's own read mark in their conversation with withUserId; never backwards. */
export const markConversationRead = defineOperation({
  type: 'Mutation',
  field: 'markConversationRead',
  uses: ['chat'],
  resolver: ({ chat }) => async (args: { withUserId: string; upToSeq?: number | null }, ctx) => {
    const sub = callerPrincipal(ctx).sub;
    const state = await chat.markConversationRead(sub, args.withUserId, args.upToSeq);
    return readReceiptOf(state, sub, args.withUserId);
  },
});
