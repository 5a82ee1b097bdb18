import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { authenticationResult, clientId, token } from '../shapes.ts';

/** Amplify JS >= 6.15.4 refreshes through this; no rotation, so no RefreshToken in the answer. */
export const getTokensFromRefreshToken = defineTarget({
  input: z.object({ RefreshToken: token, ClientId: clientId }),
  run: async (identity: Pick<Identity, 'getTokensFromRefreshToken'>, r) => {
    const out = await identity.getTokensFromRefreshToken({ clientId: r.ClientId, refreshToken: r.RefreshToken });
    return { AuthenticationResult: authenticationResult(out) };
  },
});
