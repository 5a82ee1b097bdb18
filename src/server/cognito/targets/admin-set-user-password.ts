import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { password, requirePool, userPoolId, username } from '../shapes.ts';

/** Permanent: the user's own password (CONFIRMED); otherwise temporary (FORCE_CHANGE_PASSWORD). */
export const adminSetUserPassword = defineTarget({
  operator: true,
  input: z.object({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: z.boolean().optional() }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminSetUserPassword'>, r) => {
    requirePool(identity, r.UserPoolId);
    await identity.adminSetUserPassword({ username: r.Username, password: r.Password, permanent: r.Permanent === true });
    return {};
  },
});
