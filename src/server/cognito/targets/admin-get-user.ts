import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { requirePool, userPoolId, userType, username } from '../shapes.ts';

export const adminGetUser = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminGetUser'>, r) => {
    requirePool(identity, r.UserPoolId);
    const { Attributes, ...rest } = userType(await identity.adminGetUser(r.Username));
    return { ...rest, UserAttributes: Attributes };
  },
});
