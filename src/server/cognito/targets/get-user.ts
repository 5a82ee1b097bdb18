import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { accessToken } from '../shapes.ts';

export const getUser = defineTarget({
  input: z.object({ AccessToken: accessToken }),
  run: async (identity: Pick<Identity, 'getUser'>, r) => {
    const out = await identity.getUser({ accessToken: r.AccessToken });
    return { Username: out.username, UserAttributes: out.attributes.map((a) => ({ Name: a.name, Value: a.value })) };
  },
});
