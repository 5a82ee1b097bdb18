import { z } from 'zod';
import type { IdentityPool } from '../../../domain/identity-pool/identity-pool.ts';
import { definePoolTarget } from '../target.ts';
import { identityId, logins } from './shapes.ts';

/** An OpenID token for the identity (valid 10 minutes; JWKS at `<issuer>/.well-known/jwks.json`). */
export const getOpenIdToken = definePoolTarget({
  input: z.object({ IdentityId: identityId, Logins: logins }),
  run: async (pool: Pick<IdentityPool, 'getOpenIdToken'>, r) => {
    const out = await pool.getOpenIdToken({ identityId: r.IdentityId, logins: r.Logins });
    return { IdentityId: out.identityId, Token: out.token };
  },
});
