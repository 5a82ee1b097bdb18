import type { ProfileChanges } from '../../domain/users/users-service.ts';
import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

/** Edits the caller's own profile: the target is always the caller's sub, never taken from input. */
export const updateProfile = defineOperation({
  type: 'Mutation',
  field: 'updateProfile',
  uses: ['users'],
  resolver: ({ users }) => (args: { input: ProfileChanges }, ctx) => users.updateProfile(callerPrincipal(ctx).sub, args.input),
});
