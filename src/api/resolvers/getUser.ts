import { defineOperation } from '../operation.ts';

/** Any user's public profile; null when there is none. */
export const getUser = defineOperation({
  type: 'Query',
  field: 'getUser',
  uses: ['users'],
  resolver: ({ users }) => (args: { userId: string }) => users.getUser(args.userId),
});
