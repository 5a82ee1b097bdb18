import { randomBytes } from 'node:crypto';
import { deliveryFor, validateAttributes, type AttributeInput } from './attributes.ts';
import { assertUsername, confirmUser, deliverCode, type IdentityContext } from './context.ts';
import { passwordSecrets } from './credentials.ts';
import { errors, cognitoError } from './errors.ts';
import { assertPasswordAllowed } from './password-policy.ts';
import { usernameKey, type UserRecord, type UserStatus } from './user-store.ts';

/**
 * The operator's side of the pool (Cognito's Admin* actions, called with operator credentials):
 * users created with a temporary password, passwords set or reset, accounts disabled, signed out
 * or deleted. Unknown users are UserNotFoundException here: the caller is trusted.
 */
export interface AdminUserView {
  username: string;
  /** `sub` first, then the stored attributes. */
  attributes: AttributeInput[];
  createdAt: number;
  updatedAt: number;
  enabled: boolean;
  status: UserStatus;
}

export function adminView(user: UserRecord): AdminUserView {
  return {
    username: user.username,
    attributes: [{ name: 'sub', value: user.sub }, ...Object.entries(user.attributes).map(([name, value]) => ({ name, value }))],
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    enabled: user.enabled,
    status: user.status,
  };
}

export async function requireUser(ctx: Pick<IdentityContext, 'users'>, username: string): Promise<UserRecord> {
  const user = await ctx.users.get(usernameKey(username));
  if (!user) throw errors.userNotFound();
  return user;
}

/** An operator may set the verified flags a user never can (AdminCreateUser with email_verified=true). */
function adminAttributes(list: AttributeInput[]): Record<string, string> {
  const flags = list.filter((a) => a.name === 'email_verified' || a.name === 'phone_number_verified');
  for (const f of flags) {
    if (f.value !== 'true' && f.value !== 'false') throw errors.invalidParameter(`${f.name} must be "true" or "false".`);
  }
  const out = validateAttributes(list.filter((a) => !flags.includes(a)));
  for (const f of flags) out[f.name] = f.value;
  return out;
}

/** A password the default policy accepts: 16 random characters plus one of each required class. */
function temporaryPassword(): string {
  return `${randomBytes(12).toString('base64url')}Aa1!`;
}

/** The invitation with the temporary password; a failed delivery is CodeDeliveryFailureException. */
async function sendTemporaryPassword(ctx: IdentityContext, user: UserRecord, password: string): Promise<void> {
  const delivery = deliveryFor(user.attributes);
  if (!delivery) return;
  await deliverCode(ctx, { username: user.username, code: password, purpose: 'temporary_password', delivery, destination: user.attributes[delivery.attributeName] });
}

export async function adminCreateUser(
  ctx: IdentityContext,
  input: { username: string; temporaryPassword?: string; attributes?: AttributeInput[]; messageAction?: 'RESEND' | 'SUPPRESS' },
): Promise<AdminUserView> {
  assertUsername(input.username);
  const password = input.temporaryPassword ?? temporaryPassword();
  assertPasswordAllowed(password, ctx.policy, 'temporaryPassword');
  const now = ctx.clock.now();
  const expires = now + ctx.config.auth.temporaryPasswordDays * 86_400_000;
  const key = usernameKey(input.username);

  if (input.messageAction === 'RESEND') {
    const user = await requireUser(ctx, input.username);
    if (user.status !== 'FORCE_CHANGE_PASSWORD') {
      throw cognitoError('UnsupportedUserStateException', 'Resend not possible. User is in an invalid state.');
    }
    const updated = await ctx.users.update(user, { ...(await passwordSecrets(ctx, key, password)), temporaryPasswordExpiresAt: expires });
    if (!updated) throw errors.userNotFound();
    await sendTemporaryPassword(ctx, updated, password);
    return adminView(updated);
  }
  const user: UserRecord = {
    username: input.username,
    usernameKey: key,
    sub: ctx.ids.uuid(),
    status: 'FORCE_CHANGE_PASSWORD',
    enabled: true,
    ...(await passwordSecrets(ctx, key, password)),
    temporaryPasswordExpiresAt: expires,
    attributes: adminAttributes(input.attributes ?? []),
    groups: [],
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.users.create(user);
  } catch (err) {
    if ((err as { code?: string }).code === 'UsernameExistsException') throw cognitoError('UsernameExistsException', 'User account already exists');
    throw err;
  }
  if (input.messageAction !== 'SUPPRESS') {
    try {
      await sendTemporaryPassword(ctx, user, password);
    } catch (err) {
      // Nothing half-created stays behind, as with SignUp.
      await ctx.users.delete(user).catch(() => undefined);
      throw err;
    }
  }
  return adminView(user);
}

export async function adminGetUser(ctx: IdentityContext, username: string): Promise<AdminUserView> {
  return adminView(await requireUser(ctx, username));
}

/**
 * Permanent: the password is the user's own and the account CONFIRMED (a user who never confirmed
 * is confirmed now, profile included). Otherwise a temporary password: FORCE_CHANGE_PASSWORD.
 */
export async function adminSetUserPassword(
  ctx: IdentityContext,
  input: { username: string; password: string; permanent: boolean },
): Promise<void> {
  assertPasswordAllowed(input.password, ctx.policy);
  const user = await requireUser(ctx, input.username);
  const secrets = await passwordSecrets(ctx, user.usernameKey, input.password);
  if (!input.permanent) {
    const expires = ctx.clock.now() + ctx.config.auth.temporaryPasswordDays * 86_400_000;
    if (!(await ctx.users.update(user, { ...secrets, status: 'FORCE_CHANGE_PASSWORD', temporaryPasswordExpiresAt: expires }))) throw errors.userNotFound();
    return;
  }
  const updated = await ctx.users.update(user, { ...secrets, temporaryPasswordExpiresAt: undefined });
  if (!updated) throw errors.userNotFound();
  if (updated.status === 'UNCONFIRMED' || updated.status === 'FORCE_CHANGE_PASSWORD') await confirmUser(ctx, updated, updated.status);
  else if (updated.status === 'RESET_REQUIRED') await ctx.users.update(updated, { status: 'CONFIRMED' });
  await ctx.lockout.reset(user.usernameKey, await ctx.lockout.state(user.usernameKey));
}

/** RESET_REQUIRED: password sign-in refused (PasswordResetRequiredException) until ConfirmForgotPassword with the code sent now. */
export async function adminResetUserPassword(ctx: IdentityContext, username: string): Promise<void> {
  const user = await requireUser(ctx, username);
  if (user.status === 'UNCONFIRMED' || user.status === 'FORCE_CHANGE_PASSWORD') {
    throw errors.notAuthorized('User password cannot be reset in the current state.');
  }
  const delivery = deliveryFor(user.attributes);
  if (!delivery) {
    throw errors.invalidParameter('Cannot reset password for the user as there is no registered/verified email or phone_number');
  }
  const updated = await ctx.users.update(user, { status: 'RESET_REQUIRED' });
  if (!updated) throw errors.userNotFound();
  const code = await ctx.codes.issue(user.usernameKey, 'forgot_password', user);
  await deliverCode(ctx, { username: user.username, code, purpose: 'forgot_password', delivery, destination: user.attributes[delivery.attributeName] });
}

/** Disabling also ends every session, as Cognito revokes the user's tokens. */
export async function adminSetEnabled(ctx: IdentityContext, username: string, enabled: boolean): Promise<void> {
  const user = await requireUser(ctx, username);
  const changes = enabled ? { enabled: true } : { enabled: false, signOutAt: ctx.clock.now() };
  if (!(await ctx.users.update(user, changes))) throw errors.userNotFound();
  if (!enabled) ctx.onRevoked(user.sub);
}

export async function adminUserGlobalSignOut(ctx: IdentityContext, username: string): Promise<void> {
  const user = await requireUser(ctx, username);
  if (!(await ctx.users.update(user, { signOutAt: ctx.clock.now() }))) throw errors.userNotFound();
  ctx.onRevoked(user.sub);
}

/**
 * Deletes the account: first everything the rest of the system keeps for it (`removeUserData`:
 * profile, nickname claim, edges, media; docs/data-model.md states the rule), then the pool's
 * record, sessions and codes, so a failure part-way can be retried with the same call.
 */
export async function removeAccount(ctx: IdentityContext, user: UserRecord): Promise<void> {
  await ctx.removeUserData({ sub: user.sub, username: user.username });
  await ctx.users.delete(user);
  await ctx.sessions.deleteAllOf(user.sub);
  await ctx.codes.deleteAll(user.usernameKey);
  ctx.onRevoked(user.sub);
}

export async function adminDeleteUser(ctx: IdentityContext, username: string): Promise<void> {
  await removeAccount(ctx, await requireUser(ctx, username));
}
