import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';
import { decodeNextToken } from '../pagination.ts';
import { connection } from '../shapes.ts';

interface Args {
  withUserId: string;
  limit?: number | null;
  nextToken?: string | null;
}

/**
 * The caller's conversation with withUserId, newest first. Only the other participant is named:
 * the conversation is derived from the caller's id, so no one can name a conversation of others.
 */
export const listMessages = defineOperation({
  type: 'Query',
  field: 'listMessages',
  uses: ['chat'],
  resolver: ({ chat }) => async (args: Args, ctx) => {
    const sub = callerPrincipal(ctx).sub;
    const scope = `listMessages:${sub}:${args.withUserId}`;
    const page = await chat.listMessages(sub, args.withUserId, args.limit, decodeNextToken(scope, args.nextToken));
    return connection(scope, page.items, page.cursor);
  },
});
