import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { clientId, codeDeliveryDetails, username } from '../shapes.ts';

export const resendConfirmationCode = defineTarget({
  input: z.object({ ClientId: clientId, Username: username }),
  run: async (identity: Pick<Identity, 'resendConfirmationCode'>, r) => {
    const out = await identity.resendConfirmationCode({ clientId: r.ClientId, username: r.Username });
    return out.codeDelivery ? { CodeDeliveryDetails: codeDeliveryDetails(out.codeDelivery) } : {};
  },
});
