import type { Target } from '../target.ts';
import { adminCreateUser } from './admin-create-user.ts';
import { adminGetUser } from './admin-get-user.ts';
import { listUsers } from './list-users.ts';
import { adminDeleteUser } from './admin-delete-user.ts';
import { adminDisableUser } from './admin-disable-user.ts';
import { adminEnableUser } from './admin-enable-user.ts';
import { adminSetUserPassword } from './admin-set-user-password.ts';
import { adminConfirmSignUp } from './admin-confirm-sign-up.ts';
import { adminAddUserToGroup } from './admin-add-user-to-group.ts';
import { adminRemoveUserFromGroup } from './admin-remove-user-from-group.ts';
import { adminListGroupsForUser } from './admin-list-groups-for-user.ts';
import { listUsersInGroup } from './list-users-in-group.ts';
import { adminUserGlobalSignOut } from './admin-user-global-sign-out.ts';
import { adminResetUserPassword } from './admin-reset-user-password.ts';
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
  // Operator actions: SigV4 with the operator's credentials (config `admin.*`).
  ['AdminCreateUser', adminCreateUser as Target],
  ['AdminGetUser', adminGetUser as Target],
  ['ListUsers', listUsers as Target],
  ['AdminDeleteUser', adminDeleteUser as Target],
  ['AdminDisableUser', adminDisableUser as Target],
  ['AdminEnableUser', adminEnableUser as Target],
  ['AdminSetUserPassword', adminSetUserPassword as Target],
  ['AdminConfirmSignUp', adminConfirmSignUp as Target],
  ['AdminAddUserToGroup', adminAddUserToGroup as Target],
  ['AdminRemoveUserFromGroup', adminRemoveUserFromGroup as Target],
  ['AdminListGroupsForUser', adminListGroupsForUser as Target],
  ['ListUsersInGroup', listUsersInGroup as Target],
  ['AdminUserGlobalSignOut', adminUserGlobalSignOut as Target],
  ['AdminResetUserPassword', adminResetUserPassword as Target],
]);
