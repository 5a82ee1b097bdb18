import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken, attributeList, codeDeliveryDetails } from '../shapes.ts';

export const updateUserAttributes = defineTarget({
  input: z.object({ AccessToken: accessToken, UserAttributes: attributeList }),
  run: async (identity: Pick<Identity, 'updateUserAttributes'>, r) => {
    const out = await identity.updateUserAttributes({ accessToken: r.AccessToken, attributes: r.UserAttributes });
    return { CodeDeliveryDetailsList: out.codeDeliveries.map(codeDeliveryDetails) };
  },
});
