import { z } from 'zod';
import type { IdentityPool } from '../../../domain/identity-pool/identity-pool.ts';
import { definePoolTarget } from '../target.ts';
import { identityId, logins, wireCredentials } from './shapes.ts';

/** Short-lived credentials for the media endpoint (S3 API), bound to the user's sub. */
export const getCredentialsForIdentity = definePoolTarget({
  input: z.object({ IdentityId: identityId, Logins: logins, CustomRoleArn: z.string().max(2048).optional() }),
  run: async (pool: Pick<IdentityPool, 'getCredentialsForIdentity'>, r) => {
    const out = await pool.getCredentialsForIdentity({ identityId: r.IdentityId, logins: r.Logins });
    return { IdentityId: out.identityId, Credentials: wireCredentials(out.credentials) };
  },
});
