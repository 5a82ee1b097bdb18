import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { attributeList, password, requirePool, userPoolId, userType, username } from '../shapes.ts';

/** FORCE_CHANGE_PASSWORD with TemporaryPassword (or a generated one), sent unless MessageAction=SUPPRESS. */
export const adminCreateUser = defineTarget({
  operator: true,
  input: z.object({
    UserPoolId: userPoolId,
    Username: username,
    UserAttributes: attributeList.optional(),
    TemporaryPassword: password.optional(),
    MessageAction: z.enum(['RESEND', 'SUPPRESS']).optional(),
  }),
  run: async (identity: Pick<Identity, 'userPoolId' | 'adminCreateUser'>, r) => {
    requirePool(identity, r.UserPoolId);
    const user = await identity.adminCreateUser({
      username: r.Username,
      temporaryPassword: r.TemporaryPassword,
      attributes: r.UserAttributes,
      messageAction: r.MessageAction,
    });
    return { User: userType(user) };
  },
});
