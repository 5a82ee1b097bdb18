import { completeSignIn } from './auth.ts';
import { confirmUser, requireClient, type IdentityContext } from './context.ts';
import { errors } from './errors.ts';
import { answerNewPassword } from './new-password.ts';
import { verifyPasswordClaim } from './srp-auth.ts';
import type { AuthResponse } from './types.ts';

const CHALLENGES = [
  'SMS_MFA',
  'EMAIL_OTP',
  'SOFTWARE_TOKEN_MFA',
  'SELECT_MFA_TYPE',
  'MFA_SETUP',
  'PASSWORD_VERIFIER',
  'CUSTOM_CHALLENGE',
  'SELECT_CHALLENGE',
  'DEVICE_SRP_AUTH',
  'DEVICE_PASSWORD_VERIFIER',
  'ADMIN_NO_SRP_AUTH',
  'NEW_PASSWORD_REQUIRED',
  'SMS_OTP',
  'PASSWORD',
  'WEB_AUTHN',
  'PASSWORD_SRP',
];

/** RespondToAuthChallenge: PASSWORD_VERIFIER (USER_SRP_AUTH) and NEW_PASSWORD_REQUIRED. */
export async function respondToAuthChallenge(
  ctx: IdentityContext,
  input: { clientId: string; challengeName: string; challengeResponses: Record<string, string>; session?: string },
): Promise<AuthResponse> {
  requireClient(ctx, input.clientId);
  const name = input.challengeName;
  if (!CHALLENGES.includes(name)) throw errors.notInEnum('challengeName', name, CHALLENGES);
  if (name === 'PASSWORD_VERIFIER') return completeSignIn(ctx, await verifyPasswordClaim(ctx, input.challengeResponses));
  if (name === 'NEW_PASSWORD_REQUIRED') {
    const user = await answerNewPassword(ctx, input.challengeResponses, input.session);
    // An administrator created this account: choosing the password is its confirmation (profile included).
    return completeSignIn(ctx, await confirmUser(ctx, user, 'FORCE_CHANGE_PASSWORD'));
  }
  throw errors.invalidParameter(`${name} is not a challenge of this user pool's flows.`);
}
