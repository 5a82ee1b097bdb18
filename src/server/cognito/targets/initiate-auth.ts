import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { authenticationResult, clientId, stringMap } from '../shapes.ts';

/** USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH / REFRESH_TOKEN (the refresh answer has no RefreshToken). */
export const initiateAuth = defineTarget({
  input: z.object({ AuthFlow: z.string().min(1).max(64), ClientId: clientId, AuthParameters: stringMap.optional() }),
  run: async (identity: Pick<Identity, 'initiateAuth'>, r) => {
    const out = await identity.initiateAuth({ clientId: r.ClientId, authFlow: r.AuthFlow, authParameters: r.AuthParameters ?? {} });
    return { ChallengeParameters: {}, AuthenticationResult: authenticationResult(out) };
  },
});
