import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

/** The signed-in caller's own profile. */
export const me = defineOperation({
  type: 'Query',
  field: 'me',
  uses: ['users'],
  resolver: ({ users }) => (_args, ctx) => users.getUser(callerPrincipal(ctx).sub),
});
