import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, username } from '../shapes.ts';

/** Ends every session of the user: refresh tokens and tokens minted before now stop working. */
export const adminUserGlobalSignOut = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminUserGlobalSignOut'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminUserGlobalSignOut(r.Username);
    return {};
  },
});
