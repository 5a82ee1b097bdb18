import { AppError, ErrorCode } from '../../domain/errors.ts';
import { isCognitoErrorName } from '../../domain/identity/errors.ts';
import { StoreUnavailableError } from '../../ports/tables.ts';

/** A Cognito error on the wire: HTTP status, `__type`, message. */
export interface WireError {
  status: number;
  type: string;
  message: string;
}

const GENERIC: Record<string, string> = {
  [ErrorCode.BadRequest]: 'InvalidParameterException',
  [ErrorCode.Unauthorized]: 'NotAuthorizedException',
  [ErrorCode.NotFound]: 'ResourceNotFoundException',
  [ErrorCode.Conflict]: 'InvalidParameterException',
  [ErrorCode.LimitExceeded]: 'LimitExceededException',
};

export const INTERNAL: WireError = { status: 500, type: 'InternalErrorException', message: 'An internal error occurred.' };

/** The store out of reach: Cognito's server-side error, with a body saying to retry (SDKs retry 5xx). */
export const UNAVAILABLE: WireError = { status: 500, type: 'InternalErrorException', message: 'A service the user pool depends on is unavailable; retry shortly.' };

/** The one translation of domain errors into Cognito's; undefined = unexpected (log it, answer INTERNAL). */
export function toWireError(err: unknown): WireError | undefined {
  if (err instanceof StoreUnavailableError) return UNAVAILABLE;
  if (!(err instanceof AppError)) return undefined;
  if (isCognitoErrorName(err.code)) return { status: 400, type: err.code, message: err.message };
  const type = GENERIC[err.code];
  return type ? { status: 400, type, message: err.message } : undefined;
}

/** Header values must be Latin-1 without control characters; messages may echo client input. */
export const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
