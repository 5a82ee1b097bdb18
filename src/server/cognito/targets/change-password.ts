import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken, password } from '../shapes.ts';

export const changePassword = defineTarget({
  input: z.object({ PreviousPassword: password, ProposedPassword: password, AccessToken: accessToken }),
  run: async (identity: Pick<Identity, 'changePassword'>, r) => {
    await identity.changePassword({
      accessToken: r.AccessToken,
      previousPassword: r.PreviousPassword,
      proposedPassword: r.ProposedPassword,
    });
    return {};
  },
});
