import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken } from '../shapes.ts';

export const globalSignOut = defineTarget({
  input: z.object({ AccessToken: accessToken }),
  run: async (identity: Pick<Identity, 'globalSignOut'>, r) => {
    await identity.globalSignOut({ accessToken: r.AccessToken });
    return {};
  },
});
