import type { RankingScope } from '../../domain/rankings/rankings-service.ts';
import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

/** The caller's own entry in their GLOBAL, COUNTRY or CITY ranking; null when not ranked there. */
export const myRank = defineOperation({
  type: 'Query',
  field: 'myRank',
  uses: ['rankings'],
  resolver: ({ rankings }) => (args: { scope: RankingScope }, ctx) => rankings.myRank(callerPrincipal(ctx).sub, args.scope),
});
