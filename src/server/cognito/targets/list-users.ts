import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { attributeName, limit60, pageToken, requirePool, userPoolId, userType } from '../shapes.ts';

/** Filter in Cognito's syntax (`email ^= "ana"`, `cognito:user_status = "CONFIRMED"`, ...). */
export const listUsers = defineTarget({
  operator: true,
  input: z.object({
    UserPoolId: userPoolId,
    AttributesToGet: z.array(attributeName).max(100).optional(),
    Limit: limit60.optional(),
    PaginationToken: pageToken.optional(),
    Filter: z.string().max(256).optional(),
  }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'listUsers'>, r) => {
    requirePool(identity, r.UserPoolId);
    const out = await identity.listUsers({ filter: r.Filter, limit: r.Limit, paginationToken: r.PaginationToken });
    return {
      Users: out.users.map((u) => userType(u, r.AttributesToGet)),
      ...(out.paginationToken ? { PaginationToken: out.paginationToken } : {}),
    };
  },
});
