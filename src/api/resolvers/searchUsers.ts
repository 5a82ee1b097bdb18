import { defineOperation } from '../operation.ts';
import { decodeNextToken, encodeNextToken, pageLimit } from '../pagination.ts';

interface Args {
  prefix: string;
  limit?: number | null;
  nextToken?: string | null;
}

/** Nickname prefix search, paged. */
export const searchUsers = defineOperation({
  type: 'Query',
  field: 'searchUsers',
  uses: ['users', 'limits'],
  resolver: ({ users, limits }) => async (args: Args) => {
    const limit = pageLimit(args.limit, limits);
    const scope = `searchUsers:${args.prefix.toLowerCase()}`;
    const page = await users.search(args.prefix, limit, decodeNextToken(scope, args.nextToken));
    return { items: page.items, nextToken: encodeNextToken(scope, page.cursor) };
  },
});
