import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { cognitoError } from '../../../domain/identity/errors.ts';
import { defineTarget } from '../target.ts';
import { limit60, pageToken, requirePool, userPoolId, username } from '../shapes.ts';

/** Groups are names on the user (no group objects): GroupName and UserPoolId only. */
export const adminListGroupsForUser = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username, Limit: limit60.optional(), NextToken: pageToken.optional() }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminListGroupsForUser'>, r) => {
    requirePool(identity, r.UserPoolId);
    const groups = await identity.adminListGroupsForUser(r.Username);
    const start = r.NextToken === undefined ? 0 : Number(r.NextToken);
    if (!Number.isInteger(start) || start < 0 || start > groups.length) throw cognitoError('InvalidParameterException', 'Invalid NextToken.');
    const end = start + (r.Limit ?? 60);
    return {
      Groups: groups.slice(start, end).map((GroupName) => ({ GroupName, UserPoolId: identity.userPoolId })),
      ...(end < groups.length ? { NextToken: String(end) } : {}),
    };
  },
});
