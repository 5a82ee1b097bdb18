import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, username } from '../shapes.ts';

/** Deletes the account and, with it, the profile, nickname claim, edges and media (docs/data-model.md). */
export const adminDeleteUser = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminDeleteUser'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminDeleteUser(r.Username);
    return {};
  },
});
