/**
 * Nickname rules. A nickname is 3..max characters of [A-Za-z0-9._]; uniqueness and lookups are
 * case-insensitive, so every stored form carries its lower-cased key (claim key, nicknameLower)
 * and the nickname-index bucket (its first lower-cased character).
 */
export const NICKNAME_MIN_LENGTH = 3;
const ALLOWED = /^[A-Za-z0-9._]+$/;
const DISALLOWED = /[^A-Za-z0-9._]/g;

export function isValidNickname(nickname: string, maxLength: number): boolean {
  return nickname.length >= NICKNAME_MIN_LENGTH && nickname.length <= maxLength && ALLOWED.test(nickname);
}

/** Characters a search prefix may hold: a prefix with anything else can match no nickname. */
export function isNicknamePrefix(prefix: string): boolean {
  return ALLOWED.test(prefix);
}

export const nicknameKey = (nickname: string) => nickname.toLowerCase();
export const nicknameBucket = (nickname: string) => nickname.charAt(0).toLowerCase();

/**
 * A valid nickname derived from a sign-up attribute or username: the local part of an e-mail
 * address, stripped to the allowed characters, cut to the maximum length, padded when too short.
 */
export function deriveNickname(source: string, maxLength: number): string {
  const local = source.includes('@') ? source.slice(0, source.indexOf('@')) : source;
  let base = local.normalize('NFKD').replace(DISALLOWED, '').slice(0, maxLength);
  if (base.length === 0) base = 'user';
  while (base.length < NICKNAME_MIN_LENGTH) base += '0';
  return base;
}

/** `base` with a numeric suffix, cut so the result stays within maxLength. */
export function withSuffix(base: string, suffix: number, maxLength: number): string {
  const digits = String(suffix);
  return base.slice(0, Math.max(0, maxLength - digits.length)) + digits;
}
