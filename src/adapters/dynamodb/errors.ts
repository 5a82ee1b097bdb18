/** Translates DynamoDB service errors into the Tables port's errors, once, at the adapter edge. */
import { isThrottle, isTransient } from './retry.ts';
import {
  ConditionalCheckFailedError,
  StoreUnavailableError,
  TableValidationError,
  TransactionCanceledError,
  type CancellationReason,
} from '../../ports/tables.ts';

const REASONS: Record<string, CancellationReason> = {
  None: 'None',
  ConditionalCheckFailed: 'ConditionalCheckFailed',
  TransactionConflict: 'TransactionConflict',
  ValidationError: 'ValidationError',
  // Not in the port's vocabulary: an item collection over 10 GB is a request the store cannot accept.
  ItemCollectionSizeLimitExceeded: 'ValidationError',
  // Throttled items only remain here once retries are exhausted: the caller may try again, as for a conflict.
  ThrottlingError: 'TransactionConflict',
  ProvisionedThroughputExceeded: 'TransactionConflict',
};

/** Marshalling errors from @aws-sdk/util-dynamodb are plain Errors thrown before any request is sent. */
const MARSHALL_MESSAGES = /Special numeric value|MAX_SAFE_INTEGER|MIN_SAFE_INTEGER|Unsupported type passed|Pass options\.removeUndefinedValues/;

export function mapError(error: unknown): unknown {
  if (!error || typeof error !== 'object') return error;
  const e = error as { name?: string; message?: string; CancellationReasons?: { Code?: string }[] };
  switch (e.name) {
    case 'ConditionalCheckFailedException':
      return new ConditionalCheckFailedError();
    case 'TransactionCanceledException': {
      const reasons = (e.CancellationReasons ?? []).map((r) => REASONS[r.Code ?? 'None'] ?? 'ValidationError');
      // A malformed operation is a bad request, as the same mistake outside a transaction (and in the
      // SQLite adapter): DynamoDB Local reports some of these as a cancellation reason instead.
      const invalid = (e.CancellationReasons ?? []).find((r) => r.Code === 'ValidationError');
      if (invalid) return new TableValidationError((invalid as { Message?: string }).Message ?? 'Invalid transaction operation');
      return new TransactionCanceledError(reasons);
    }
    case 'ValidationException':
      return new TableValidationError(e.message ?? 'Invalid request');
    case 'ResourceNotFoundException':
      return new TableValidationError(`Unknown table or index: ${e.message ?? ''}`.trim());
    default:
      if (e.name === 'Error' && e.message && MARSHALL_MESSAGES.test(e.message)) {
        return new TableValidationError(e.message);
      }
      // Retries are spent by now (withRetry): an unreachable or failing endpoint is an outage.
      if (isTransient(error) || isThrottle(error)) {
        const code = (error as { code?: string }).code;
        return new StoreUnavailableError(`DynamoDB unavailable: ${e.name ?? 'Error'}${code ? ` ${code}` : ''}: ${e.message ?? ''}`.trim(), { cause: error });
      }
      return error;
  }
}
