import { deliveryFor, simulatedDelivery, validateAttributes, type AttributeInput, type CodeDelivery } from './attributes.ts';
import { assertUsername, confirmUser, deliverCode, requireClient, type IdentityContext } from './context.ts';
import { passwordSecrets } from './credentials.ts';
import { errors } from './errors.ts';
import { assertPasswordAllowed } from './password-policy.ts';
import { usernameKey, type UserRecord } from './user-store.ts';

/** SignUp, ConfirmSignUp, ResendConfirmationCode, and the operator's confirmation. */

export async function signUp(
  ctx: IdentityContext,
  input: { clientId: string; username: string; password: string; attributes?: AttributeInput[] },
): Promise<{ userConfirmed: boolean; userSub: string; codeDelivery?: CodeDelivery }> {
  requireClient(ctx, input.clientId);
  assertUsername(input.username);
  const attributes = validateAttributes(input.attributes ?? []);
  assertPasswordAllowed(input.password, ctx.policy);
  if (attributes.email) attributes.email_verified = 'false';
  if (attributes.phone_number) attributes.phone_number_verified = 'false';

  const now = ctx.clock.now();
  const key = usernameKey(input.username);
  const user: UserRecord = {
    username: input.username,
    usernameKey: key,
    sub: ctx.ids.uuid(),
    status: 'UNCONFIRMED',
    enabled: true,
    ...(await passwordSecrets(ctx, key, input.password)),
    attributes,
    groups: [],
    createdAt: now,
    updatedAt: now,
  };
  await ctx.users.create(user);

  if (ctx.config.autoConfirm) {
    try {
      await confirmUser(ctx, user);
    } catch (err) {
      // Undo, so the sign-up can simply be retried; if this is lost too, signing in finishes it.
      await ctx.users.delete(user).catch(() => undefined);
      throw err;
    }
    return { userConfirmed: true, userSub: user.sub };
  }
  let codeDelivery: CodeDelivery | undefined;
  try {
    codeDelivery = await sendCode(ctx, user);
  } catch (err) {
    // As Cognito: a sign-up whose code cannot be delivered leaves no user behind, so it can be retried.
    await ctx.codes.deleteAll(user.usernameKey).catch(() => undefined);
    await ctx.users.delete(user).catch(() => undefined);
    throw err;
  }
  return { userConfirmed: false, userSub: user.sub, ...(codeDelivery ? { codeDelivery } : {}) };
}

/** Issues a sign-up code and delivers it; on a failed delivery the new code is withdrawn. */
async function sendCode(ctx: IdentityContext, user: UserRecord): Promise<CodeDelivery | undefined> {
  const code = await ctx.codes.issue(user.usernameKey, 'sign_up', user);
  const delivery = deliveryFor(user.attributes);
  const destination = delivery ? user.attributes[delivery.attributeName] : undefined;
  try {
    await deliverCode(ctx, { username: user.username, code, purpose: 'sign_up', delivery, destination });
  } catch (err) {
    await ctx.codes.consume(user.usernameKey, 'sign_up').catch(() => undefined);
    throw err;
  }
  return delivery;
}

export async function confirmSignUp(
  ctx: IdentityContext,
  input: { clientId: string; username: string; code: string },
): Promise<void> {
  requireClient(ctx, input.clientId);
  const user = await ctx.users.get(usernameKey(input.username));
  if (!user) throw errors.codeMismatch(); // PreventUserExistenceErrors=ENABLED
  if (user.status === 'CONFIRMED') throw errors.alreadyConfirmed();
  await ctx.codes.check(user.usernameKey, 'sign_up', user.sub, input.code);
  await confirmUser(ctx, user);
}

export async function resendConfirmationCode(
  ctx: IdentityContext,
  input: { clientId: string; username: string },
): Promise<{ codeDelivery?: CodeDelivery }> {
  requireClient(ctx, input.clientId);
  const key = usernameKey(input.username);
  const user = await ctx.users.get(key);
  if (!user) {
    await ctx.codes.simulateSend(key, 'sign_up');
    return { codeDelivery: simulatedDelivery(input.username) };
  }
  if (user.status === 'CONFIRMED') throw errors.invalidParameter('User is already confirmed.');
  const codeDelivery = await sendCode(ctx, user);
  return codeDelivery ? { codeDelivery } : {};
}

export async function adminConfirm(ctx: IdentityContext, username: string): Promise<void> {
  const user = await ctx.users.get(usernameKey(username));
  if (!user) throw errors.userNotFound();
  if (user.status === 'CONFIRMED') throw errors.alreadyConfirmed();
  await confirmUser(ctx, user);
}
