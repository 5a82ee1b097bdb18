import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { authResponse, clientId, stringMap } from '../shapes.ts';

/**
 * USER_SRP_AUTH (answers PASSWORD_VERIFIER), USER_PASSWORD_AUTH (tokens, or NEW_PASSWORD_REQUIRED
 * for an administrator-created user), REFRESH_TOKEN_AUTH / REFRESH_TOKEN (no RefreshToken back).
 */
export const initiateAuth = defineTarget({
  input: z.object({ AuthFlow: z.string().min(1).max(64), ClientId: clientId, AuthParameters: stringMap.optional() }),
  run: async (identity: Pick<Identity, 'initiateAuth'>, r) =>
    authResponse(await identity.initiateAuth({ clientId: r.ClientId, authFlow: r.AuthFlow, authParameters: r.AuthParameters ?? {} })),
});
