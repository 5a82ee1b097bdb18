import { validateAttributes } from './attributes.ts';
import type { IdentityContext } from './context.ts';
import { passwordSecrets } from './credentials.ts';
import { errors } from './errors.ts';
import { assertPasswordAllowed } from './password-policy.ts';
import type { AuthChallenge } from './types.ts';
import { usernameKey, type UserRecord } from './user-store.ts';

/**
 * NEW_PASSWORD_REQUIRED: a user created by an administrator (status FORCE_CHANGE_PASSWORD) who
 * signed in with the temporary password must choose their own before getting tokens. The
 * challenge lists the user's attributes (as Cognito: JSON text, no `*_verified` flags) and no
 * required ones.
 */
export async function newPasswordChallenge(ctx: IdentityContext, user: UserRecord): Promise<AuthChallenge> {
  if (user.temporaryPasswordExpiresAt !== undefined && user.temporaryPasswordExpiresAt <= ctx.clock.now()) {
    throw errors.temporaryPasswordExpired();
  }
  const session = await ctx.challenges.open('NEW_PASSWORD_REQUIRED', { usernameKey: user.usernameKey, sub: user.sub });
  const shown = Object.fromEntries(Object.entries(user.attributes).filter(([name]) => !name.endsWith('_verified')));
  return {
    challengeName: 'NEW_PASSWORD_REQUIRED',
    challengeParameters: { USER_ID_FOR_SRP: user.usernameKey, requiredAttributes: '[]', userAttributes: JSON.stringify(shown) },
    session,
  };
}

const ATTRIBUTE_PREFIX = 'userAttributes.';

/**
 * Sets the chosen password (and any `userAttributes.*` given) on the user the Session belongs to
 * and returns them, still FORCE_CHANGE_PASSWORD: the caller confirms them. Inputs are checked
 * before the Session is spent, so a refused password can be retried with the same Session.
 */
export async function answerNewPassword(
  ctx: IdentityContext,
  responses: Record<string, string>,
  session: string | undefined,
): Promise<UserRecord> {
  if (!responses.USERNAME) throw errors.missingParameter('USERNAME');
  if (!responses.NEW_PASSWORD) throw errors.missingParameter('NEW_PASSWORD');
  if (!session) throw errors.missingParameter('Session');
  assertPasswordAllowed(responses.NEW_PASSWORD, ctx.policy, 'NEW_PASSWORD');
  const changes = validateAttributes(
    Object.entries(responses)
      .filter(([name]) => name.startsWith(ATTRIBUTE_PREFIX))
      .map(([name, value]) => ({ name: name.slice(ATTRIBUTE_PREFIX.length), value })),
  );
  const state = await ctx.challenges.take('NEW_PASSWORD_REQUIRED', session);
  if (!state || usernameKey(responses.USERNAME) !== state.usernameKey) throw errors.invalidSession();
  const user = await ctx.users.get(String(state.usernameKey));
  if (!user || user.sub !== state.sub || user.status !== 'FORCE_CHANGE_PASSWORD') throw errors.invalidSession();
  const attributes = { ...user.attributes, ...changes };
  if (changes.email !== undefined && changes.email !== user.attributes.email) attributes.email_verified = 'false';
  const updated = await ctx.users.update(
    user,
    { ...(await passwordSecrets(ctx, user.usernameKey, responses.NEW_PASSWORD)), attributes, temporaryPasswordExpiresAt: undefined },
    { status: 'FORCE_CHANGE_PASSWORD' },
  );
  if (!updated) throw errors.invalidSession();
  return updated;
}
