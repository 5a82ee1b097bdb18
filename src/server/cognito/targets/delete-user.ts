import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken } from '../shapes.ts';

export const deleteUser = defineTarget({
  input: z.object({ AccessToken: accessToken }),
  run: async (identity: Pick<Identity, 'deleteUser'>, r) => {
    await identity.deleteUser({ accessToken: r.AccessToken });
    return {};
  },
});
