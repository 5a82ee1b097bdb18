import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, username } from '../shapes.ts';

/** No sign-in, no refresh, and every token issued so far refused. */
export const adminDisableUser = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminDisableUser'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminDisableUser(r.Username);
    return {};
  },
});
