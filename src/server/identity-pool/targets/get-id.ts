import { z } from 'zod';
import type { IdentityPool } from '../../../domain/identity-pool/identity-pool.ts';
import { definePoolTarget } from '../target.ts';
import { identityPoolId, logins } from './shapes.ts';

/** The identity of the user behind Logins (stable per user), or a new guest identity if allowed. */
export const getId = definePoolTarget({
  input: z.object({ IdentityPoolId: identityPoolId, AccountId: z.string().max(15).optional(), Logins: logins }),
  run: async (pool: Pick<IdentityPool, 'getId'>, r) => {
    const out = await pool.getId({ identityPoolId: r.IdentityPoolId, logins: r.Logins });
    return { IdentityId: out.identityId };
  },
});
