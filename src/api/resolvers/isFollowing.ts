import { defineOperation } from '../operation.ts';

/** A public fact about any two users; malformed ids read as false. */
export const isFollowing = defineOperation({
  type: 'Query',
  field: 'isFollowing',
  uses: ['social'],
  resolver: ({ social }) => (args: { followerId: string; followedId: string }) => social.isFollowing(args.followerId, args.followedId),
});
