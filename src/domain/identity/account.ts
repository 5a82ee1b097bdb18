import { deliveryFor, simulatedDelivery, validateAttributes, type AttributeInput, type CodeDelivery } from './attributes.ts';
import { adminSetEnabled, removeAccount } from './admin-users.ts';
import { authenticate } from './auth.ts';
import type { CodePurpose } from './codes.ts';
import { deliverCode, requireClient, type IdentityContext } from './context.ts';
import { passwordSecrets } from './credentials.ts';
import { errors } from './errors.ts';
import { assertPasswordAllowed, assertPasswordShape } from './password-policy.ts';
import { usernameKey, type UserRecord } from './user-store.ts';

/** Self-service on the signed-in user's account, password recovery, and groups. */

const VERIFIABLE = { email: 'verify_email', phone_number: 'verify_phone_number' } as const satisfies Record<string, CodePurpose>;
type Verifiable = keyof typeof VERIFIABLE;
const isVerifiable = (name: string): name is Verifiable => name in VERIFIABLE;

export async function getUser(
  ctx: IdentityContext,
  input: { accessToken: string },
): Promise<{ username: string; attributes: AttributeInput[] }> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  return {
    username: user.username,
    attributes: [{ name: 'sub', value: user.sub }, ...Object.entries(user.attributes).map(([name, value]) => ({ name, value }))],
  };
}

async function sendVerification(ctx: IdentityContext, user: UserRecord, attribute: Verifiable): Promise<CodeDelivery> {
  const purpose = VERIFIABLE[attribute];
  const code = await ctx.codes.issue(user.usernameKey, purpose, user);
  const delivery = deliveryFor(user.attributes, attribute)!;
  await deliverOrWithdraw(ctx, user, { code, purpose, delivery, destination: user.attributes[attribute] });
  return delivery;
}

/** Delivers a freshly issued code; if that fails, the code is withdrawn (the user asks again). */
async function deliverOrWithdraw(
  ctx: IdentityContext,
  user: UserRecord,
  d: { code: string; purpose: CodePurpose; delivery: CodeDelivery; destination?: string },
): Promise<void> {
  try {
    await deliverCode(ctx, { username: user.username, ...d });
  } catch (err) {
    await ctx.codes.consume(user.usernameKey, d.purpose).catch(() => undefined);
    throw err;
  }
}

/** A changed email or phone number becomes unverified and gets a verification code. */
export async function updateUserAttributes(
  ctx: IdentityContext,
  input: { accessToken: string; attributes: AttributeInput[] },
): Promise<{ codeDeliveries: CodeDelivery[] }> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  const changes = validateAttributes(input.attributes);
  const merged = { ...user.attributes, ...changes };
  const changed = (['email', 'phone_number'] as const).filter((a) => changes[a] !== undefined && changes[a] !== user.attributes[a]);
  for (const a of changed) merged[`${a}_verified`] = 'false';
  const updated = await ctx.users.update(user, { attributes: merged });
  if (!updated) throw errors.userNotFound();
  const codeDeliveries: CodeDelivery[] = [];
  for (const a of changed) codeDeliveries.push(await sendVerification(ctx, updated, a));
  return { codeDeliveries };
}

export async function getUserAttributeVerificationCode(
  ctx: IdentityContext,
  input: { accessToken: string; attributeName: string },
): Promise<{ codeDelivery?: CodeDelivery }> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  const name = input.attributeName;
  if (!isVerifiable(name) || !user.attributes[name]) {
    throw errors.invalidParameter(`Attribute ${name.slice(0, 64)} cannot be verified for this user.`);
  }
  return { codeDelivery: await sendVerification(ctx, user, name) };
}

export async function verifyUserAttribute(
  ctx: IdentityContext,
  input: { accessToken: string; attributeName: string; code: string },
): Promise<void> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  const name = input.attributeName;
  if (!isVerifiable(name) || !user.attributes[name]) {
    throw errors.invalidParameter(`Attribute ${name.slice(0, 64)} cannot be verified for this user.`);
  }
  await ctx.codes.check(user.usernameKey, VERIFIABLE[name], user.sub, input.code);
  await ctx.users.update(user, { attributes: { ...user.attributes, [`${name}_verified`]: 'true' } });
  await ctx.codes.consume(user.usernameKey, VERIFIABLE[name]);
}

/** Wrong previous passwords count towards the lockout; while locked: LimitExceededException. */
export async function changePassword(
  ctx: IdentityContext,
  input: { accessToken: string; previousPassword: string; proposedPassword: string },
): Promise<void> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  assertPasswordShape(input.previousPassword, 'previousPassword');
  assertPasswordAllowed(input.proposedPassword, ctx.policy, 'proposedPassword');
  const lock = await ctx.lockout.state(user.usernameKey);
  if (ctx.lockout.isLocked(lock)) throw errors.attemptLimit();
  const ok = await ctx.hasher.verify(input.previousPassword, user.passwordHash);
  const latest = await ctx.lockout.state(user.usernameKey);
  if (ctx.lockout.isLocked(latest)) throw errors.attemptLimit();
  if (!ok) {
    await ctx.lockout.recordFailure(user.usernameKey);
    throw errors.incorrectCredentials();
  }
  await ctx.lockout.reset(user.usernameKey, latest);
  const updated = await ctx.users.update(user, await passwordSecrets(ctx, user.usernameKey, input.proposedPassword));
  if (!updated) throw errors.userNotFound();
}

/** Unknown or unconfirmed users get a simulated delivery (PreventUserExistenceErrors=ENABLED). */
export async function forgotPassword(
  ctx: IdentityContext,
  input: { clientId: string; username: string },
): Promise<{ codeDelivery: CodeDelivery }> {
  requireClient(ctx, input.clientId);
  const key = usernameKey(input.username);
  const user = await ctx.users.get(key);
  const resettable = user && user.enabled && (user.status === 'CONFIRMED' || user.status === 'RESET_REQUIRED');
  const delivery = resettable ? deliveryFor(user.attributes) : undefined;
  if (!user || !delivery) {
    await ctx.codes.simulateSend(key, 'forgot_password');
    return { codeDelivery: simulatedDelivery(input.username) };
  }
  const code = await ctx.codes.issue(key, 'forgot_password', user);
  await deliverOrWithdraw(ctx, user, { code, purpose: 'forgot_password', delivery, destination: user.attributes[delivery.attributeName] });
  return { codeDelivery: delivery };
}

export async function confirmForgotPassword(
  ctx: IdentityContext,
  input: { clientId: string; username: string; code: string; password: string },
): Promise<void> {
  requireClient(ctx, input.clientId);
  assertPasswordAllowed(input.password, ctx.policy);
  const key = usernameKey(input.username);
  const user = await ctx.users.get(key);
  // An unknown username is answered from its simulated code, exactly as a user's real one would be.
  await ctx.codes.check(key, 'forgot_password', user?.sub, input.code);
  if (!user) throw errors.codeMismatch();
  const reset = user.status === 'RESET_REQUIRED' ? { status: 'CONFIRMED' as const } : {};
  const updated = await ctx.users.update(user, { ...(await passwordSecrets(ctx, user.usernameKey, input.password)), ...reset });
  if (!updated) throw errors.codeMismatch();
  await ctx.codes.consume(user.usernameKey, 'forgot_password');
  // A successful reset proves control of the account: lift any lock.
  await ctx.lockout.reset(user.usernameKey, await ctx.lockout.state(user.usernameKey));
}

/** Deletes the account, everything of it in the pool (sessions, codes) and beyond (profile, edges, media). */
export async function deleteUser(ctx: IdentityContext, input: { accessToken: string }): Promise<void> {
  const { user } = await authenticate(ctx, input.accessToken, 'access');
  await removeAccount(ctx, user);
}

const GROUP = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

export async function changeGroups(ctx: IdentityContext, username: string, group: string, add: boolean): Promise<void> {
  if (!GROUP.test(group)) throw errors.invalidParameter('Group name must be 1-128 letters, digits, symbols or punctuation.');
  const user = await ctx.users.get(usernameKey(username));
  if (!user) throw errors.userNotFound();
  const has = user.groups.includes(group);
  if (has === add) return;
  const groups = add ? [...user.groups, group].sort() : user.groups.filter((g) => g !== group);
  if (!(await ctx.users.update(user, { groups }))) throw errors.userNotFound();
}

/** The console's view of a user, found by sub (the admin API's is AdminUserView in admin-users.ts). */
export interface ConsoleUserView {
  username: string;
  sub: string;
  status: UserRecord['status'];
  enabled: boolean;
  groups: string[];
  /** ISO time. */
  createdAt: string;
}

export async function adminGetUserBySub(ctx: IdentityContext, sub: string): Promise<ConsoleUserView | undefined> {
  const user = await ctx.users.findBySub(sub);
  if (!user) return undefined;
  return {
    username: user.username,
    sub: user.sub,
    status: user.status,
    enabled: user.enabled,
    groups: [...user.groups],
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/**
 * Like AdminDisableUser / AdminEnableUser (the console and `biilive users disable`): a disabled user
 * cannot sign in or refresh, and every token already issued is refused.
 */
export const setUserEnabled = (ctx: IdentityContext, username: string, enabled: boolean): Promise<void> => adminSetEnabled(ctx, username, enabled);
