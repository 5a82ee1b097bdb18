import { defineOperation } from '../operation.ts';
import { decodeNextToken } from '../pagination.ts';
import { connection, profilesOf } from '../shapes.ts';

interface Args {
  userId: string;
  limit?: number | null;
  nextToken?: string | null;
}

/** The users userId follows, with their profiles (a query on the table's partition). */
export const listFollowing = defineOperation({
  type: 'Query',
  field: 'listFollowing',
  uses: ['social'],
  resolver: ({ social }) => async (args: Args) => {
    const scope = `listFollowing:${args.userId}`;
    const page = await social.listFollowing(args.userId, args.limit, decodeNextToken(scope, args.nextToken));
    return connection(scope, profilesOf(page.items), page.cursor);
  },
});
