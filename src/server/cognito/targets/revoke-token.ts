import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { clientId, token } from '../shapes.ts';

export const revokeToken = defineTarget({
  input: z.object({ Token: token, ClientId: clientId }),
  run: async (identity: Pick<Identity, 'revokeToken'>, r) => {
    await identity.revokeToken({ clientId: r.ClientId, token: r.Token });
    return {};
  },
});
