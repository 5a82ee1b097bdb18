import { defineOperation } from '../operation.ts';
import { decodeNextToken } from '../pagination.ts';
import { connection, profilesOf } from '../shapes.ts';

interface Args {
  userId: string;
  limit?: number | null;
  nextToken?: string | null;
}

/** The users following userId, with their profiles (a query on GSI1). */
export const listFollowers = defineOperation({
  type: 'Query',
  field: 'listFollowers',
  uses: ['social'],
  resolver: ({ social }) => async (args: Args) => {
    const scope = `listFollowers:${args.userId}`;
    const page = await social.listFollowers(args.userId, args.limit, decodeNextToken(scope, args.nextToken));
    return connection(scope, profilesOf(page.items), page.cursor);
  },
});
