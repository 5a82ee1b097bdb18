import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, username } from '../shapes.ts';

/** Confirms an UNCONFIRMED user without a code (PostConfirmation runs: the profile is created). */
export const adminConfirmSignUp = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminConfirm'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminConfirm(r.Username);
    return {};
  },
});
