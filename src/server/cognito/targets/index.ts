import type { Target } from '../target.ts';
import { changePassword } from './change-password.ts';
import { confirmForgotPassword } from './confirm-forgot-password.ts';
import { confirmSignUp } from './confirm-sign-up.ts';
import { deleteUser } from './delete-user.ts';
import { forgotPassword } from './forgot-password.ts';
import { getTokensFromRefreshToken } from './get-tokens-from-refresh-token.ts';
import { getUser } from './get-user.ts';
import { getUserAttributeVerificationCode } from './get-user-attribute-verification-code.ts';
import { globalSignOut } from './global-sign-out.ts';
import { initiateAuth } from './initiate-auth.ts';
import { resendConfirmationCode } from './resend-confirmation-code.ts';
import { respondToAuthChallenge } from './respond-to-auth-challenge.ts';
import { revokeToken } from './revoke-token.ts';
import { signUp } from './sign-up.ts';
import { updateUserAttributes } from './update-user-attributes.ts';
import { verifyUserAttribute } from './verify-user-attribute.ts';

/**
 * The supported actions, by the name after `AWSCognitoIdentityProviderService.` in X-Amz-Target.
 * Anything else is UnknownOperationException. (Also the support matrix's source of truth.)
 */
export const targets: ReadonlyMap<string, Target> = new Map<string, Target>([
  ['SignUp', signUp as Target],
  ['ConfirmSignUp', confirmSignUp as Target],
  ['ResendConfirmationCode', resendConfirmationCode as Target],
  ['InitiateAuth', initiateAuth as Target],
  ['RespondToAuthChallenge', respondToAuthChallenge as Target],
  ['GetTokensFromRefreshToken', getTokensFromRefreshToken as Target],
  ['GetUser', getUser as Target],
  ['UpdateUserAttributes', updateUserAttributes as Target],
  ['GetUserAttributeVerificationCode', getUserAttributeVerificationCode as Target],
  ['VerifyUserAttribute', verifyUserAttribute as Target],
  ['ChangePassword', changePassword as Target],
  ['ForgotPassword', forgotPassword as Target],
  ['ConfirmForgotPassword', confirmForgotPassword as Target],
  ['GlobalSignOut', globalSignOut as Target],
  ['RevokeToken', revokeToken as Target],
  ['DeleteUser', deleteUser as Target],
]);
