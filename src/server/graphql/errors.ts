import { GraphQLError } from 'graphql';
import { AppError, ErrorCode } from '../../domain/errors.ts';
import type { Logger } from '../../ports/logger.ts';
import { StoreUnavailableError } from '../../ports/tables.ts';
import { locationsOf, type RequestError } from './documents.ts';
import { stripSuggestions } from './validation.ts';

/**
 * AppSync's error objects: errorType, errorInfo and data at the top level (not under
 * `extensions`), `locations[].sourceName: null`. The one place domain errors become wire errors.
 */
export interface FieldError {
  path: ReadonlyArray<string | number> | null;
  data: null;
  errorType: string | null;
  errorInfo: Record<string, unknown> | null;
  locations: RequestError['locations'];
  message: string;
}

export const INTERNAL_MESSAGE = 'An internal error occurred';
export const UNAVAILABLE_MESSAGE = 'A service this API depends on is unavailable; retry shortly.';

/**
 * A resolver error: AppError -> its code and message; the store out of reach ->
 * ServiceUnavailableException; graphql-js's own execution errors (a null in a non-null position,
 * a value a scalar can't serialise) keep their text; anything else is unexpected, logged with its
 * stack and masked.
 */
export function formatFieldError(error: GraphQLError, log: Logger): FieldError {
  const original = error.originalError;
  let errorType: string | null = null;
  let errorInfo: Record<string, unknown> | null = null;
  let message = error.message;
  if (original instanceof AppError) {
    errorType = original.code;
    message = original.message;
    errorInfo = original.info ?? null;
  } else if (original instanceof StoreUnavailableError) {
    log.warn({ err: original.message, path: error.path?.join('.') }, 'store unavailable');
    errorType = 'ServiceUnavailableException';
    message = UNAVAILABLE_MESSAGE;
  } else if (original && !(original instanceof GraphQLError)) {
    log.error({ err: original, path: error.path?.join('.') }, 'resolver failed');
    errorType = ErrorCode.InternalFailure;
    message = INTERNAL_MESSAGE;
  }
  return {
    path: error.path ?? null,
    data: null,
    errorType,
    errorInfo,
    locations: locationsOf(error),
    message: stripSuggestions(message),
  };
}

/**
 * Errors raised before execution starts (variable coercion, operation selection): AppSync's
 * validation shape, with graphql-java's wording for the common variable problems.
 */
export function formatRequestError(error: GraphQLError): RequestError {
  let message = stripSuggestions(error.message);
  const missing = /^Variable "\$([^"]+)" of (?:required|non-null) type "([^"]+)" (?:was not provided|must not be null)\.$/.exec(message);
  const invalid = /^Variable "\$([^"]+)" got invalid value (.*?); (.*)$/s.exec(message);
  if (missing) message = `Variable '${missing[1]}' has coerced Null value for NonNull type '${missing[2]}'`;
  else if (invalid) message = `Variable '${invalid[1]}' has an invalid value: ${invalid[3]}`;
  return { path: null, locations: locationsOf(error), message };
}
