import type { TokenVerifier } from './contracts.ts';
import type { AttributeInput, CodeDelivery } from './attributes.ts';
import type { PendingCode } from './codes.ts';
import type { AdminUserView } from './admin-users.ts';
import type { ConsoleUserView } from './account.ts';

export type { AttributeInput, CodeDelivery } from './attributes.ts';
export type { PendingCode, CodePurpose } from './codes.ts';
export type { AdminUserView } from './admin-users.ts';
export type { ConsoleUserView } from './account.ts';

/** Tokens handed to a client; `refreshToken` only on a password sign-in (refreshes do not rotate). */
export interface AuthenticationResult {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  /** Access-token lifetime, seconds. */
  expiresIn: number;
  tokenType: 'Bearer';
}

/** A challenge instead of tokens: the client answers it with RespondToAuthChallenge. */
export interface AuthChallenge {
  challengeName: 'PASSWORD_VERIFIER' | 'NEW_PASSWORD_REQUIRED';
  challengeParameters: Record<string, string>;
  /** Cognito's Session, echoed back by the client (absent for PASSWORD_VERIFIER: SECRET_BLOCK carries it). */
  session?: string;
}

/** What InitiateAuth and RespondToAuthChallenge answer. */
export type AuthResponse = AuthenticationResult | AuthChallenge;

export const isChallenge = (r: AuthResponse): r is AuthChallenge => 'challengeName' in r;

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
  /** USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH (alias REFRESH_TOKEN). */
  initiateAuth(input: { clientId: string; authFlow: string; authParameters: Record<string, string> }): Promise<AuthResponse>;
  /** PASSWORD_VERIFIER (SRP) and NEW_PASSWORD_REQUIRED. */
  respondToAuthChallenge(input: {
    clientId: string;
    challengeName: string;
    challengeResponses: Record<string, string>;
    session?: string;
  }): Promise<AuthResponse>;
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

  /** The pool's id (`<region>_<suffix>`): operator calls name it. */
  readonly userPoolId: string;
  /** AdminCreateUser: FORCE_CHANGE_PASSWORD with a temporary password (generated when not given). */
  adminCreateUser(input: {
    username: string;
    temporaryPassword?: string;
    attributes?: AttributeInput[];
    messageAction?: 'RESEND' | 'SUPPRESS';
  }): Promise<AdminUserView>;
  adminGetUser(username: string): Promise<AdminUserView>;
  /** The console's view of the user with this sub; undefined when none. */
  adminGetUserBySub(sub: string): Promise<ConsoleUserView | undefined>;
  /** Like AdminDisableUser / AdminEnableUser (the console, `biilive users disable`). */
  setUserEnabled(username: string, enabled: boolean): Promise<void>;
  /** ListUsers: `filter` in Cognito's syntax (`email ^= "ana"`), at most `limit` per page. */
  listUsers(input: { filter?: string; limit?: number; paginationToken?: string }): Promise<{ users: AdminUserView[]; paginationToken?: string }>;
  listUsersInGroup(input: { group: string; limit?: number; nextToken?: string }): Promise<{ users: AdminUserView[]; nextToken?: string }>;
  adminListGroupsForUser(username: string): Promise<string[]>;
  /** Deletes the account and, through UserDeleted, the user's profile, nickname claim, edges and media. */
  adminDeleteUser(username: string): Promise<void>;
  /** Disabling also revokes every session (no sign-in, no refresh, no token honoured). */
  adminDisableUser(username: string): Promise<void>;
  adminEnableUser(username: string): Promise<void>;
  adminSetUserPassword(input: { username: string; password: string; permanent: boolean }): Promise<void>;
  adminResetUserPassword(username: string): Promise<void>;
  adminUserGlobalSignOut(username: string): Promise<void>;

  /** Unexpired codes (embedded mode delivers no mail; `biilive users codes` shows them). */
  pendingCodes(): Promise<PendingCode[]>;
  /** Like AdminAddUserToGroup: the group appears in `cognito:groups` of tokens issued afterwards. */
  addUserToGroup(username: string, group: string): Promise<void>;
  removeUserFromGroup(username: string, group: string): Promise<void>;
  /** Like AdminConfirmSignUp (runs PostConfirmation). */
  adminConfirm(username: string): Promise<void>;
}
