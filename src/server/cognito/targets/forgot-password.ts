import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { clientId, codeDeliveryDetails, username } from '../shapes.ts';

export const forgotPassword = defineTarget({
  input: z.object({ ClientId: clientId, Username: username }),
  run: async (identity: Pick<Identity, 'forgotPassword'>, r) => {
    const out = await identity.forgotPassword({ clientId: r.ClientId, username: r.Username });
    return { CodeDeliveryDetails: codeDeliveryDetails(out.codeDelivery) };
  },
});
