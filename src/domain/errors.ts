/**
 * The one error catalogue. Domain code throws AppError with a stable code; each edge translates it
 * once: GraphQL renders the code as AppSync's `errorType`, the identity endpoint as Cognito's `__type`.
 * Anything that is not an AppError is unexpected: edges log it and answer a masked InternalFailure.
 */
export const ErrorCode = {
  /** Input fails validation (GraphQL: errorType "BadRequestException"). */
  BadRequest: 'BadRequestException',
  /** The caller may not do this, or the object is not theirs. Reads the same as NotFound where existence would leak. */
  Unauthorized: 'Unauthorized',
  NotFound: 'NotFound',
  /** A uniqueness or state conflict (taken nickname, concurrent change). */
  Conflict: 'ConflictException',
  LimitExceeded: 'LimitExceededError',
  /** The operation is in the schema but this server does not serve it (yet, or not over this transport). */
  UnsupportedOperation: 'UnsupportedOperation',
  InternalFailure: 'InternalFailure',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode | string,
    message: string,
    readonly info?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, info?: Record<string, unknown>) =>
  new AppError(ErrorCode.BadRequest, message, info);
export const notFound = (message: string) => new AppError(ErrorCode.NotFound, message);
export const unauthorized = (message = 'Not Authorized') => new AppError(ErrorCode.Unauthorized, message);
export const conflict = (message: string) => new AppError(ErrorCode.Conflict, message);
