import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { groupName, limit60, pageToken, requirePool, userPoolId, userType } from '../shapes.ts';

export const listUsersInGroup = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, GroupName: groupName, Limit: limit60.optional(), NextToken: pageToken.optional() }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'listUsersInGroup'>, r) => {
    requirePool(identity, r.UserPoolId);
    const out = await identity.listUsersInGroup({ group: r.GroupName, limit: r.Limit, nextToken: r.NextToken });
    return { Users: out.users.map((u) => userType(u)), ...(out.nextToken ? { NextToken: out.nextToken } : {}) };
  },
});
