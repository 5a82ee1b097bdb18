import { cognitoError, errors } from './errors.ts';

/** Cognito's password policy shape; a pool created with only a name requires all four classes. */
export interface PasswordPolicy {
  minLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
}

export const defaultPasswordPolicy = (minLength = 8): PasswordPolicy => ({
  minLength,
  requireUppercase: true,
  requireLowercase: true,
  requireNumbers: true,
  requireSymbols: true,
});

/** Cognito's 32 allowed symbols, and space (which also counts). Letters are Basic Latin only. */
const SYMBOLS = /[\^$*.[\]{}()?"!@#%&/\\,><':;|_~`=+\- ]/;
/** The API model's constraints on every password member: no surrounding whitespace, at most 256. */
const MODEL_PATTERN = /^[\S]+.*[\S]+$/;
const MAX_LENGTH = 256;

/**
 * Checks the API model constraints (InvalidParameterException, like Cognito's request validation)
 * for a password member named `member` (e.g. "password", "proposedPassword").
 */
export function assertPasswordShape(password: string, member = 'password'): void {
  if (password.length > MAX_LENGTH) {
    throw errors.invalidParameter(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_LENGTH}`,
    );
  }
  if (!MODEL_PATTERN.test(password)) {
    throw errors.invalidParameter(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$`,
    );
  }
}

/** The first rule the password breaks, in Cognito's wording, or undefined when it conforms. */
export function passwordProblem(password: string, policy: PasswordPolicy): string | undefined {
  if ([...password].length < policy.minLength) return 'Password not long enough';
  if (policy.requireUppercase && !/[A-Z]/.test(password)) return 'Password must have uppercase characters';
  if (policy.requireLowercase && !/[a-z]/.test(password)) return 'Password must have lowercase characters';
  if (policy.requireNumbers && !/[0-9]/.test(password)) return 'Password must have numeric characters';
  if (policy.requireSymbols && !SYMBOLS.test(password)) return 'Password must have symbol characters';
  return undefined;
}

/** Throws InvalidParameterException (shape) or InvalidPasswordException (policy). */
export function assertPasswordAllowed(password: string, policy: PasswordPolicy, member = 'password'): void {
  assertPasswordShape(password, member);
  const problem = passwordProblem(password, policy);
  if (problem) throw cognitoError('InvalidPasswordException', `Password did not conform with policy: ${problem}`);
}
