import type { Principal } from './contracts.ts';
import { confirmUser, requireClient, type IdentityContext } from './context.ts';
import { srpSecrets } from './credentials.ts';
import { errors, tokenError } from './errors.ts';
import { newPasswordChallenge } from './new-password.ts';
import type { Session } from './sessions.ts';
import { startSrp } from './srp-auth.ts';
import type { CheckedToken } from './token-verifier.ts';
import type { AuthenticationResult, AuthResponse } from './types.ts';
import { usernameKey, type UserRecord } from './user-store.ts';

/** Sign-in, refresh, token checks with revocation, sign-out. */

const FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
];

export interface Authenticated {
  token: CheckedToken;
  user: UserRecord;
  session: Session;
}

/**
 * A JWT of ours that is also still honoured: its session not revoked (RevokeToken), not started
 * at or before the user's last GlobalSignOut, and its user not deleted or replaced.
 */
export async function authenticate(
  ctx: Pick<IdentityContext, 'checker' | 'users' | 'sessions'>,
  jwt: string,
  expected?: 'id' | 'access',
): Promise<Authenticated> {
  const token = await ctx.checker.check(jwt, expected);
  const [user, session] = await Promise.all([ctx.users.get(usernameKey(token.username)), ctx.sessions.get(token.family)]);
  if (
    !user ||
    user.sub !== token.sub ||
    !user.enabled ||
    !session ||
    session.sub !== token.sub ||
    session.revokedAt !== undefined ||
    (user.signOutAt !== undefined && session.issuedAt <= user.signOutAt)
  ) {
    throw tokenError('revoked', expected);
  }
  return { token, user, session };
}

export async function verify(ctx: Pick<IdentityContext, 'checker' | 'users' | 'sessions'>, jwt: string): Promise<Principal> {
  const { token } = await authenticate(ctx, jwt);
  return { sub: token.sub, username: token.username, groups: token.groups, tokenUse: token.tokenUse, claims: token.claims };
}

export async function initiateAuth(
  ctx: IdentityContext,
  input: { clientId: string; authFlow: string; authParameters: Record<string, string> },
): Promise<AuthResponse> {
  requireClient(ctx, input.clientId);
  const flow = input.authFlow;
  if (!FLOWS.includes(flow)) throw errors.notInEnum('authFlow', flow, FLOWS);
  const params = input.authParameters;
  if (flow === 'USER_PASSWORD_AUTH') {
    if (!params.USERNAME) throw errors.missingParameter('USERNAME');
    if (!params.PASSWORD) throw errors.missingParameter('PASSWORD');
    return passwordSignIn(ctx, params.USERNAME, params.PASSWORD);
  }
  if (flow === 'USER_SRP_AUTH') {
    if (!params.USERNAME) throw errors.missingParameter('USERNAME');
    if (!params.SRP_A) throw errors.missingParameter('SRP_A');
    return startSrp(ctx, params.USERNAME, params.SRP_A);
  }
  if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') {
    if (!params.REFRESH_TOKEN) throw errors.invalidParameter('Missing required parameter REFRESH_TOKEN');
    return refresh(ctx, params.REFRESH_TOKEN);
  }
  throw errors.invalidParameter(`${flow} flow not enabled for this client`);
}

/**
 * Same store reads, KDF run and counter write whether or not the user exists, and the same error,
 * so neither the answer nor its timing tells an attacker which usernames are real.
 */
async function passwordSignIn(ctx: IdentityContext, username: string, password: string): Promise<AuthResponse> {
  const key = usernameKey(username);
  const [found, lock] = await Promise.all([ctx.users.get(key), ctx.lockout.state(key)]);
  if (ctx.lockout.isLocked(lock)) throw errors.attemptsExceeded();
  const ok = await ctx.hasher.verify(password, found?.passwordHash);
  // Again after the KDF: parallel guesses that all passed the first check must not outrun a lock
  // their siblings triggered meanwhile.
  const latest = await ctx.lockout.state(key);
  if (ctx.lockout.isLocked(latest)) throw errors.attemptsExceeded();
  if (!ok || !found) {
    await ctx.lockout.recordFailure(key);
    throw errors.incorrectCredentials();
  }
  await ctx.lockout.reset(key, latest);
  let user = found;
  if (user.srpVerifier === undefined) {
    // Users from before SRP: the password just proved is what their verifier needs.
    user = (await ctx.users.update(user, srpSecrets(ctx, user.usernameKey, password))) ?? user;
  }
  return completeSignIn(ctx, user);
}

/**
 * After a proven password (either flow): the account's state decides between tokens, a challenge
 * (NEW_PASSWORD_REQUIRED for admin-created users) and Cognito's refusals.
 */
export async function completeSignIn(ctx: IdentityContext, found: UserRecord): Promise<AuthResponse> {
  let user = found;
  if (!user.enabled) throw errors.userDisabled();
  if (user.status === 'RESET_REQUIRED') throw errors.passwordResetRequired();
  if (user.status === 'FORCE_CHANGE_PASSWORD') return newPasswordChallenge(ctx, user);
  if (user.status !== 'CONFIRMED') {
    // With autoConfirm a user is only left unconfirmed by a crash mid sign-up: finish it now.
    if (!ctx.config.autoConfirm) throw errors.notConfirmed();
    user = await confirmUser(ctx, user);
  }
  return issueSession(ctx, user);
}

/** Starts a session (a refresh-token family) and mints its first tokens. */
export async function issueSession(ctx: IdentityContext, user: UserRecord): Promise<AuthenticationResult> {
  const { refreshToken, session } = await ctx.sessions.start(user);
  const tokens = await ctx.tokens.issue(user, session);
  return { ...tokens, refreshToken, tokenType: 'Bearer' };
}

/** New ID and access tokens for a live refresh token; never a new refresh token (no rotation). */
export async function refresh(ctx: IdentityContext, refreshToken: string): Promise<AuthenticationResult> {
  const session = await ctx.sessions.byRefreshToken(refreshToken);
  if (!session) throw errors.invalidRefreshToken();
  if (session.revokedAt !== undefined) throw errors.revokedRefreshToken();
  if (session.expiresAt <= ctx.clock.now()) throw errors.expiredRefreshToken();
  const user = await ctx.users.get(session.usernameKey);
  if (!user || user.sub !== session.sub || user.status !== 'CONFIRMED') throw errors.invalidRefreshToken();
  if (!user.enabled) throw errors.userDisabled();
  if (user.signOutAt !== undefined && session.issuedAt <= user.signOutAt) throw errors.revokedRefreshToken();
  const tokens = await ctx.tokens.issue(user, session);
  return { ...tokens, tokenType: 'Bearer' };
}

export async function getTokensFromRefreshToken(
  ctx: IdentityContext,
  input: { clientId: string; refreshToken: string },
): Promise<AuthenticationResult> {
  requireClient(ctx, input.clientId);
  return refresh(ctx, input.refreshToken);
}

/** Ends every session of the user: refresh tokens and tokens minted before now stop working. */
export async function globalSignOut(ctx: IdentityContext, input: { accessToken: string }): Promise<void> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  await ctx.users.update(user, { signOutAt: ctx.clock.now() });
  ctx.onRevoked(user.sub);
}

/**
 * Revokes the refresh token's session and the tokens minted from it. Unknown tokens are accepted
 * silently (RFC 7009); a JWT is not a refresh token.
 */
export async function revokeToken(ctx: IdentityContext, input: { clientId: string; token: string }): Promise<void> {
  requireClient(ctx, input.clientId);
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(input.token)) {
    throw errors.unsupportedTokenType();
  }
  const session = await ctx.sessions.byRefreshToken(input.token);
  if (session) {
    await ctx.sessions.revoke(session.family);
    ctx.onRevoked(session.sub);
  }
}
