import type { RankingScope } from '../../domain/rankings/rankings-service.ts';
import { defineOperation } from '../operation.ts';

interface Args {
  scope: RankingScope;
  pais?: string | null;
  ciudad?: string | null;
  limit?: number | null;
  nextToken?: string | null;
}

/**
 * A leaderboard of the current snapshot. nextToken is the service's own cursor: it pins the
 * snapshot and the ranking it was issued for (another ranking's token is a BadRequest).
 */
export const getRankings = defineOperation({
  type: 'Query',
  field: 'getRankings',
  uses: ['rankings'],
  resolver: ({ rankings }) => async (args: Args) => {
    const page = await rankings.getRankings({ scope: args.scope, pais: args.pais, ciudad: args.ciudad, limit: args.limit, cursor: args.nextToken });
    return {
      date: page.date,
      scope: page.scope,
      pais: page.pais,
      ciudad: page.ciudad,
      total: page.total,
      items: page.items.map((entry) => ({ ...entry, date: page.date, total: page.total })),
      nextToken: page.cursor ?? null,
    };
  },
});
