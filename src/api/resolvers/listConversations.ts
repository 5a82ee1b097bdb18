import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';
import { decodeNextToken } from '../pagination.ts';
import { connection, conversationOf } from '../shapes.ts';

interface Args {
  limit?: number | null;
  nextToken?: string | null;
}

/** The caller's inbox: one entry per conversation, most recent first. */
export const listConversations = defineOperation({
  type: 'Query',
  field: 'listConversations',
  uses: ['chat'],
  resolver: ({ chat }) => async (args: Args, ctx) => {
    const sub = callerPrincipal(ctx).sub;
    const scope = `listConversations:${sub}`;
    const page = await chat.listConversations(sub, args.limit, decodeNextToken(scope, args.nextToken));
    return connection(scope, page.items.map(conversationOf), page.cursor);
  },
});
