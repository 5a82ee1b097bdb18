import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { attributeList, clientId, codeDeliveryDetails, password, username } from '../shapes.ts';

export const signUp = defineTarget({
  input: z.object({ ClientId: clientId, Username: username, Password: password, UserAttributes: attributeList.optional() }),
  run: async (identity: Pick<Identity, 'signUp'>, r) => {
    const out = await identity.signUp({ clientId: r.ClientId, username: r.Username, password: r.Password, attributes: r.UserAttributes });
    return {
      UserConfirmed: out.userConfirmed,
      UserSub: out.userSub,
      ...(out.codeDelivery ? { CodeDeliveryDetails: codeDeliveryDetails(out.codeDelivery) } : {}),
    };
  },
});
