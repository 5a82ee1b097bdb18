import { defineOperation } from '../operation.ts';
import { decodeNextToken } from '../pagination.ts';
import { connection } from '../shapes.ts';

interface Args {
  userId: string;
  limit?: number | null;
  nextToken?: string | null;
}

/** A user's gallery, newest first, with full and thumbnail CDN URLs (public, like the profile). */
export const listPhotos = defineOperation({
  type: 'Query',
  field: 'listPhotos',
  uses: ['media'],
  resolver: ({ media }) => async (args: Args) => {
    const scope = `listPhotos:${args.userId}`;
    const page = await media.listPhotos(args.userId, args.limit, decodeNextToken(scope, args.nextToken));
    return connection(scope, page.items, page.cursor);
  },
});
