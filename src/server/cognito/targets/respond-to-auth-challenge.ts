import { z } from 'zod';
import type { Identity } from '../../../domain/identity/create-identity.ts';
import { defineTarget } from '../target.ts';
import { authResponse, clientId, stringMap } from '../shapes.ts';

/** PASSWORD_VERIFIER (the second half of USER_SRP_AUTH) and NEW_PASSWORD_REQUIRED. */
export const respondToAuthChallenge = defineTarget({
  input: z.object({
    ClientId: clientId,
    ChallengeName: z.string().min(1).max(64),
    ChallengeResponses: stringMap.optional(),
    Session: z.string().min(20).max(2048).optional(),
  }),
  run: async (identity: Pick<Identity, 'respondToAuthChallenge'>, r) =>
    authResponse(
      await identity.respondToAuthChallenge({
        clientId: r.ClientId,
        challengeName: r.ChallengeName,
        challengeResponses: r.ChallengeResponses ?? {},
        session: r.Session,
      }),
    ),
});
