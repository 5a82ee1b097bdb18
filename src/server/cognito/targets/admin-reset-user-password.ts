import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, username } from '../shapes.ts';

/** RESET_REQUIRED and a code sent: the user finishes with ConfirmForgotPassword. */
export const adminResetUserPassword = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminResetUserPassword'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminResetUserPassword(r.Username);
    return {};
  },
});
