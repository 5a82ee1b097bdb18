import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { groupName, requirePool, userPoolId, username } from '../shapes.ts';

/** Groups exist as names on users (no CreateGroup); the change shows in tokens issued afterwards. */
export const adminAddUserToGroup = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username, GroupName: groupName }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'addUserToGroup'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.addUserToGroup(r.Username, r.GroupName);
    return {};
  },
});
