import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

/** The caller stops following followedId: true when an edge was removed, false when there was none. */
export const unfollowUser = defineOperation({
  type: 'Mutation',
  field: 'unfollowUser',
  uses: ['social'],
  resolver: ({ social }) => (args: { followedId: string }, ctx) => social.unfollow(callerPrincipal(ctx).sub, args.followedId),
});
