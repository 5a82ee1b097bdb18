import { AppError } from '../errors.ts';

/**
 * The user pool's errors: AppErrors whose code is the Cognito exception name, so the Cognito edge
 * renders `code` as `__type` unchanged, and the GraphQL edge sees any of them as "not authorized".
 * Messages are Cognito's own wording where it is known (docs: shared/spec/cognito.md §1.3).
 */
export const CognitoErrorNames = [
  'NotAuthorizedException',
  'UserNotFoundException',
  'UsernameExistsException',
  'UserNotConfirmedException',
  'InvalidPasswordException',
  'CodeMismatchException',
  'ExpiredCodeException',
  'LimitExceededException',
  'TooManyRequestsException',
  'InvalidParameterException',
  'ResourceNotFoundException',
  'UnsupportedTokenTypeException',
  'UserLambdaValidationException',
  'UnexpectedLambdaException',
  'AliasExistsException',
  'PasswordResetRequiredException',
  'UnsupportedUserStateException',
  'InvalidUserPoolConfigurationException',
  'CodeDeliveryFailureException',
] as const;
export type CognitoErrorName = (typeof CognitoErrorNames)[number];

export const isCognitoErrorName = (code: string): code is CognitoErrorName =>
  (CognitoErrorNames as readonly string[]).includes(code);

export const cognitoError = (name: CognitoErrorName, message: string) => new AppError(name, message);

export const errors = {
  incorrectCredentials: () => cognitoError('NotAuthorizedException', 'Incorrect username or password.'),
  attemptsExceeded: () => cognitoError('NotAuthorizedException', 'Password attempts exceeded'),
  notConfirmed: () => cognitoError('UserNotConfirmedException', 'User is not confirmed.'),
  userNotFound: () => cognitoError('UserNotFoundException', 'User does not exist.'),
  userDisabled: () => cognitoError('NotAuthorizedException', 'User is disabled.'),
  usernameExists: () => cognitoError('UsernameExistsException', 'User already exists'),
  alreadyConfirmed: () =>
    cognitoError('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED'),
  codeMismatch: () => cognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.'),
  expiredCode: () => cognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.'),
  attemptLimit: () => cognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.'),
  rateExceeded: () => cognitoError('TooManyRequestsException', 'Rate exceeded'),
  invalidParameter: (message: string) => cognitoError('InvalidParameterException', message),
  /** Cognito's validation message for a value outside an enum (authFlow, challengeName). */
  notInEnum: (field: string, value: string, allowed: readonly string[]) =>
    cognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value '${value.slice(0, 64)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    ),
  unknownClient: (clientId: string) =>
    cognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`),
  invalidRefreshToken: () => cognitoError('NotAuthorizedException', 'Invalid Refresh Token'),
  expiredRefreshToken: () => cognitoError('NotAuthorizedException', 'Refresh Token has expired'),
  revokedRefreshToken: () => cognitoError('NotAuthorizedException', 'Refresh Token has been revoked'),
  unsupportedTokenType: () => cognitoError('UnsupportedTokenTypeException', 'Only refresh tokens can be revoked.'),
  notAuthorized: (message: string) => cognitoError('NotAuthorizedException', message),
  passwordResetRequired: () => cognitoError('PasswordResetRequiredException', 'Password reset required for the user'),
  temporaryPasswordExpired: () =>
    cognitoError('NotAuthorizedException', 'Temporary password has expired and must be reset by an administrator.'),
  invalidSession: () => cognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.'),
  missingParameter: (name: string) => cognitoError('InvalidParameterException', `Missing required parameter ${name}`),
  codeDeliveryFailure: () =>
    cognitoError('CodeDeliveryFailureException', 'Unable to deliver the verification code. Try again later.'),
  unauthorizedAttribute: () =>
    cognitoError('NotAuthorizedException', 'A client attempted to write unauthorized attribute'),
} as const;

/** Why a JWT was refused; the message depends on which kind of token the caller expected. */
export type TokenProblem = 'invalid' | 'expired' | 'revoked';

export function tokenError(problem: TokenProblem, expected?: 'id' | 'access'): AppError {
  const what = expected === 'access' ? 'Access Token' : expected === 'id' ? 'ID Token' : 'Token';
  const message =
    problem === 'expired' ? `${what} has expired` : problem === 'revoked' ? `${what} has been revoked` : `Invalid ${what}`;
  return cognitoError('NotAuthorizedException', message);
}
