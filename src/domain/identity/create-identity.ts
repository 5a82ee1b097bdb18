import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Ids } from '../../ports/ids.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Tables } from '../../ports/tables.ts';
import type { TableNames } from '../tables.ts';
import type { Installation } from '../installation.ts';
import * as account from './account.ts';
import * as auth from './auth.ts';
import { hkdfSync } from 'node:crypto';
import { respondToAuthChallenge } from './challenge-responses.ts';
import { Challenges } from './challenges.ts';
import { Codes } from './codes.ts';
import type { CodeSender } from '../../ports/code-sender.ts';
import type { IdentityContext } from './context.ts';
import type { PostConfirmation, RemoveUserData } from './contracts.ts';
import * as admin from './admin-users.ts';
import * as listing from './admin-listing.ts';
import { Lockout } from './lockout.ts';
import { createPasswordHasher, type PasswordHasher } from './password-hasher.ts';
import { defaultPasswordPolicy } from './password-policy.ts';
import * as registration from './registration.ts';
import { Sessions } from './sessions.ts';
import { loadIdentityKeys } from './signing-keys.ts';
import { TokenIssuer } from './token-issuer.ts';
import { TokenChecker } from './token-verifier.ts';
import type { Identity } from './types.ts';
import { UserStore } from './user-store.ts';
import { wellKnownDocument } from './well-known.ts';

export type { Identity, AuthenticationResult, AttributeInput, CodeDelivery, PendingCode, CodePurpose } from './types.ts';

export interface IdentityDeps {
  tables: Tables;
  tableNames: TableNames;
  clock: Clock;
  ids: Ids;
  log: Logger;
  installation: Installation;
  /** The `iss` of every token; JWKS discovery is `<issuer>/.well-known/jwks.json`. */
  issuer: string;
  config: Config;
  postConfirmation: PostConfirmation;
  /** Removes what the rest of the system keeps for a user being deleted (default: nothing). */
  removeUserData?: RemoveUserData;
  /** Delivers every code; the only place a code leaves the pool in clear (the outbox aside). */
  codeSender: CodeSender;
  /**
   * Told the user's sub once GlobalSignOut, RevokeToken or DeleteUser has taken effect, so holders
   * of already-verified tokens (open WebSocket subscriptions, on every replica) check them again.
   */
  onRevoked?: (sub: string) => void;
  /** Shared KDF gate (tests reuse one across instances); default: a new one. */
  hasher?: PasswordHasher;
}

const IDLE_RESET_MS = 15 * 60 * 1000;

/**
 * Builds the user pool: loads (or, on first start, generates) its keys, then wires the stores and
 * the action modules. Tables must already exist (`tables.ensure`).
 */
export async function createIdentity(deps: IdentityDeps): Promise<Identity> {
  const { tables, tableNames, clock, ids, config, installation, issuer } = deps;
  const table = tableNames.identity;
  const keys = await loadIdentityKeys({ tables, systemTable: tableNames.system, clock });
  const clientId = installation.userPoolClientId;

  const ctx: IdentityContext = {
    config,
    clock,
    ids,
    log: deps.log,
    installation,
    issuer,
    users: new UserStore({ tables, table, clock }),
    sessions: new Sessions({ tables, table, clock, ids, lifetimeMs: config.tokens.refreshTokenDays * 86_400_000 }),
    challenges: new Challenges({ tables, table, clock, validityMs: config.auth.challengeSessionMinutes * 60_000 }),
    srpSaltKey: Buffer.from(hkdfSync('sha256', keys.codeSealKey, Buffer.alloc(0), 'biilive srp simulated salt', 32)),
    codes: new Codes({
      tables,
      table,
      clock,
      sealKey: keys.codeSealKey,
      outbox: !config.production,
      validityMs: config.auth.confirmationCodeHours * 3_600_000,
    }),
    lockout: new Lockout({
      tables,
      table,
      clock,
      policy: { threshold: config.auth.lockoutThreshold, maxSeconds: config.auth.lockoutMaxSeconds, idleResetMs: IDLE_RESET_MS },
    }),
    hasher: deps.hasher ?? createPasswordHasher(),
    tokens: new TokenIssuer({
      keys,
      issuer,
      clientId,
      clock,
      ids,
      accessTokenSeconds: config.tokens.accessTokenMinutes * 60,
      idTokenSeconds: config.tokens.idTokenMinutes * 60,
    }),
    checker: new TokenChecker({ keys, issuer, clientId, clock }),
    policy: defaultPasswordPolicy(config.auth.passwordMinLength),
    postConfirmation: deps.postConfirmation,
    removeUserData: deps.removeUserData ?? (async () => {}),
    codeSender: deps.codeSender,
    onRevoked: (sub) => {
      try {
        deps.onRevoked?.(sub);
      } catch (err) {
        deps.log.warn({ err }, 'revocation listener failed');
      }
    },
  };
  // Warm the unknown-user dummy hash now, so the first such sign-in is not slower than others.
  void ctx.hasher.warmUp().catch(() => undefined);

  return {
    verify: (token) => auth.verify(ctx, token),
    wellKnown: async (poolId, doc) => wellKnownDocument({ poolId: installation.userPoolId, issuer, keys }, poolId, doc),
    signUp: (input) => registration.signUp(ctx, input),
    confirmSignUp: (input) => registration.confirmSignUp(ctx, input),
    resendConfirmationCode: (input) => registration.resendConfirmationCode(ctx, input),
    initiateAuth: (input) => auth.initiateAuth(ctx, input),
    respondToAuthChallenge: (input) => respondToAuthChallenge(ctx, input),
    getTokensFromRefreshToken: (input) => auth.getTokensFromRefreshToken(ctx, input),
    getUser: (input) => account.getUser(ctx, input),
    updateUserAttributes: (input) => account.updateUserAttributes(ctx, input),
    getUserAttributeVerificationCode: (input) => account.getUserAttributeVerificationCode(ctx, input),
    verifyUserAttribute: (input) => account.verifyUserAttribute(ctx, input),
    changePassword: (input) => account.changePassword(ctx, input),
    forgotPassword: (input) => account.forgotPassword(ctx, input),
    confirmForgotPassword: (input) => account.confirmForgotPassword(ctx, input),
    globalSignOut: (input) => auth.globalSignOut(ctx, input),
    revokeToken: (input) => auth.revokeToken(ctx, input),
    deleteUser: (input) => account.deleteUser(ctx, input),
    userPoolId: installation.userPoolId,
    adminCreateUser: (input) => admin.adminCreateUser(ctx, input),
    adminGetUser: (username) => admin.adminGetUser(ctx, username),
    listUsers: (input) => listing.listUsers(ctx, input),
    listUsersInGroup: (input) => listing.listUsersInGroup(ctx, input),
    adminListGroupsForUser: (username) => listing.adminListGroupsForUser(ctx, username),
    adminDeleteUser: (username) => admin.adminDeleteUser(ctx, username),
    adminDisableUser: (username) => admin.adminSetEnabled(ctx, username, false),
    adminEnableUser: (username) => admin.adminSetEnabled(ctx, username, true),
    adminSetUserPassword: (input) => admin.adminSetUserPassword(ctx, input),
    adminResetUserPassword: (username) => admin.adminResetUserPassword(ctx, username),
    adminUserGlobalSignOut: (username) => admin.adminUserGlobalSignOut(ctx, username),
    pendingCodes: () => ctx.codes.pending(),
    addUserToGroup: (username, group) => account.changeGroups(ctx, username, group, true),
    removeUserFromGroup: (username, group) => account.changeGroups(ctx, username, group, false),
    adminConfirm: (username) => registration.adminConfirm(ctx, username),
    adminGetUserBySub: (sub) => account.adminGetUserBySub(ctx, sub),
    setUserEnabled: (username, enabled) => account.setUserEnabled(ctx, username, enabled),
  };
}
