import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { clientId, confirmationCode, username } from '../shapes.ts';

export const confirmSignUp = defineTarget({
  input: z.object({ ClientId: clientId, Username: username, ConfirmationCode: confirmationCode }),
  run: async (identity: Pick<Identity, 'confirmSignUp'>, r) => {
    await identity.confirmSignUp({ clientId: r.ClientId, username: r.Username, code: r.ConfirmationCode });
    return {};
  },
});
