import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { clientId, confirmationCode, password, username } from '../shapes.ts';

export const confirmForgotPassword = defineTarget({
  input: z.object({ ClientId: clientId, Username: username, ConfirmationCode: confirmationCode, Password: password }),
  run: async (identity: Pick<Identity, 'confirmForgotPassword'>, r) => {
    await identity.confirmForgotPassword({ clientId: r.ClientId, username: r.Username, code: r.ConfirmationCode, password: r.Password });
    return {};
  },
});
