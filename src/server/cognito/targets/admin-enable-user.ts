import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, username } from '../shapes.ts';

/** Lifts AdminDisableUser (sessions ended by it stay ended). */
export const adminEnableUser = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminEnableUser'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminEnableUser(r.Username);
    return {};
  },
});
