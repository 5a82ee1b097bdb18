import type { TokenVerifier } from './contracts.ts';
import type { AttributeInput, CodeDelivery } from './attributes.ts';
import type { PendingCode } from './codes.ts';
import type { AdminUserView } from './account.ts';

export type { AttributeInput, CodeDelivery } from './attributes.ts';
export type { PendingCode, CodePurpose } from './codes.ts';
export type { AdminUserView } from './account.ts';

/** Tokens handed to a client; `refreshToken` only on a password sign-in (refreshes do not rotate). */
export interface AuthenticationResult {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  /** Access-token lifetime, seconds. */
  expiresIn: number;
  tokenType: 'Bearer';
}

/**
 * The Cognito-compatible user pool. One method per supported Cognito action (inputs and outputs are
 * the action's members in camelCase; the Cognito edge maps the wire shapes), plus the operator
 * operations the CLI uses. Every failure is an AppError whose code is the Cognito exception name.
 */
export interface Identity extends TokenVerifier {
  /** `jwks.json` or `openid-configuration` of this pool; undefined for another pool id or document. */
  wellKnown(poolId: string, doc: string): Promise<object | undefined>;

  signUp(input: { clientId: string; username: string; password: string; attributes?: AttributeInput[] }): Promise<{
    userConfirmed: boolean;
    userSub: string;
    codeDelivery?: CodeDelivery;
  }>;
  confirmSignUp(input: { clientId: string; username: string; code: string }): Promise<void>;
  resendConfirmationCode(input: { clientId: string; username: string }): Promise<{ codeDelivery?: CodeDelivery }>;
  /** USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH (alias REFRESH_TOKEN). */
  initiateAuth(input: { clientId: string; authFlow: string; authParameters: Record<string, string> }): Promise<AuthenticationResult>;
  getTokensFromRefreshToken(input: { clientId: string; refreshToken: string }): Promise<AuthenticationResult>;

  getUser(input: { accessToken: string }): Promise<{ username: string; attributes: AttributeInput[] }>;
  updateUserAttributes(input: { accessToken: string; attributes: AttributeInput[] }): Promise<{ codeDeliveries: CodeDelivery[] }>;
  getUserAttributeVerificationCode(input: { accessToken: string; attributeName: string }): Promise<{ codeDelivery?: CodeDelivery }>;
  verifyUserAttribute(input: { accessToken: string; attributeName: string; code: string }): Promise<void>;
  changePassword(input: { accessToken: string; previousPassword: string; proposedPassword: string }): Promise<void>;
  forgotPassword(input: { clientId: string; username: string }): Promise<{ codeDelivery: CodeDelivery }>;
  confirmForgotPassword(input: { clientId: string; username: string; code: string; password: string }): Promise<void>;
  globalSignOut(input: { accessToken: string }): Promise<void>;
  revokeToken(input: { clientId: string; token: string }): Promise<void>;
  deleteUser(input: { accessToken: string }): Promise<void>;

  /** Unexpired codes (embedded mode delivers no mail; `biilive users codes` shows them). */
  pendingCodes(): Promise<PendingCode[]>;
  /** Like AdminAddUserToGroup: the group appears in `cognito:groups` of tokens issued afterwards. */
  addUserToGroup(username: string, group: string): Promise<void>;
  removeUserFromGroup(username: string, group: string): Promise<void>;
  /** Like AdminConfirmSignUp (runs PostConfirmation). */
  adminConfirm(username: string): Promise<void>;
  /** The operator's view of the user with this sub (the console); undefined when none. */
  adminGetUserBySub(sub: string): Promise<AdminUserView | undefined>;
  /** Like AdminDisableUser / AdminEnableUser. */
  setUserEnabled(username: string, enabled: boolean): Promise<void>;
}
