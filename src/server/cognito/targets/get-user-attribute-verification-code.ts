import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken, attributeName, codeDeliveryDetails } from '../shapes.ts';

export const getUserAttributeVerificationCode = defineTarget({
  input: z.object({ AccessToken: accessToken, AttributeName: attributeName }),
  run: async (identity: Pick<Identity, 'getUserAttributeVerificationCode'>, r) => {
    const out = await identity.getUserAttributeVerificationCode({ accessToken: r.AccessToken, attributeName: r.AttributeName });
    return out.codeDelivery ? { CodeDeliveryDetails: codeDeliveryDetails(out.codeDelivery) } : {};
  },
});
