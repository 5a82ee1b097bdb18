import type { IdentityContext } from './context.ts';
import { createVerifier } from './srp.ts';
import type { UserRecord } from './user-store.ts';

/**
 * What the pool stores for a password: the scrypt hash (USER_PASSWORD_AUTH, ChangePassword) and the
 * SRP-6a salt and verifier (USER_SRP_AUTH). Both are written together wherever a password is set,
 * so the two sign-in flows always accept the same password.
 */
export type PasswordSecrets = Pick<UserRecord, 'passwordHash' | 'srpSalt' | 'srpVerifier'>;

/**
 * The SRP identity of a user is the lower-cased username (`usernameKey`, also USER_ID_FOR_SRP), so
 * any capitalisation the user types signs in, and the pool name is the part of the pool id after
 * `_`, as the clients compute it.
 */
export const srpPoolName = (ctx: Pick<IdentityContext, 'installation'>) => ctx.installation.userPoolId.split('_')[1] ?? '';

export async function passwordSecrets(
  ctx: Pick<IdentityContext, 'hasher' | 'installation'>,
  usernameKey: string,
  password: string,
): Promise<PasswordSecrets> {
  const passwordHash = await ctx.hasher.hash(password);
  const { salt, verifier } = createVerifier(srpPoolName(ctx), usernameKey, password);
  return { passwordHash, srpSalt: salt, srpVerifier: verifier };
}

/** The SRP secrets alone, for a user whose password was just checked but who has none yet. */
export function srpSecrets(ctx: Pick<IdentityContext, 'installation'>, usernameKey: string, password: string) {
  const { salt, verifier } = createVerifier(srpPoolName(ctx), usernameKey, password);
  return { srpSalt: salt, srpVerifier: verifier };
}
