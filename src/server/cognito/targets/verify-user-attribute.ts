import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken, attributeName, confirmationCode } from '../shapes.ts';

export const verifyUserAttribute = defineTarget({
  input: z.object({ AccessToken: accessToken, AttributeName: attributeName, Code: confirmationCode }),
  run: async (identity: Pick<Identity, 'verifyUserAttribute'>, r) => {
    await identity.verifyUserAttribute({ accessToken: r.AccessToken, attributeName: r.AttributeName, code: r.Code });
    return {};
  },
});
