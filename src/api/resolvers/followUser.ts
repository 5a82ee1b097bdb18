import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';
import { followOf } from '../shapes.ts';

/** The caller (never an argument) follows followedId; a repeat returns the existing edge. */
export const followUser = defineOperation({
  type: 'Mutation',
  field: 'followUser',
  uses: ['social', 'users'],
  resolver: ({ social, users }) => async (args: { followedId: string }, ctx) => {
    const { edge } = await social.follow(callerPrincipal(ctx).sub, args.followedId);
    return followOf(edge, users);
  },
});
