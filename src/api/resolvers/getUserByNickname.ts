import { defineOperation } from '../operation.ts';

/** Case-insensitive nickname lookup. */
export const getUserByNickname = defineOperation({
  type: 'Query',
  field: 'getUserByNickname',
  uses: ['users'],
  resolver: ({ users }) => (args: { nickname: string }) => users.getByNickname(args.nickname),
});
