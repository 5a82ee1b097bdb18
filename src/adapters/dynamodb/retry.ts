/**
 * Retries for DynamoDB calls. The SDK clients are built with maxAttempts 1 so this is the only retry
 * layer: throttling is retried here (and reported, for metrics) instead of invisibly inside the SDK.
 */

const THROTTLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException', // DynamoDB Streams: GetShardIterator/DescribeStream rate limit
]);
const THROTTLE_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);
const TRANSIENT_NAMES = new Set(['InternalServerError', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

interface ErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  CancellationReasons?: { Code?: string }[];
}

/** True for throttling, including a transaction cancelled only because some of its items were throttled. */
export function isThrottle(error: unknown): boolean {
  const e = error as ErrorShape | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.name && THROTTLE_NAMES.has(e.name)) return true;
  if (e.name === 'TransactionCanceledException' && e.CancellationReasons) {
    const codes = e.CancellationReasons.map((r) => r.Code ?? 'None');
    return codes.some((c) => THROTTLE_REASONS.has(c)) && codes.every((c) => c === 'None' || THROTTLE_REASONS.has(c));
  }
  return false;
}

/**
 * The tables a throttled call was throttled on: for a cancelled transaction those of its items
 * with a throttling reason (`tables[i]` is item i's), otherwise every table the call touched.
 */
export function throttledTables(error: unknown, tables: readonly string[]): string[] {
  const reasons = (error as ErrorShape | undefined)?.CancellationReasons;
  const hit = reasons ? tables.filter((_, i) => THROTTLE_REASONS.has(reasons[i]?.Code ?? 'None')) : tables;
  return [...new Set(hit)];
}

/** Server-side 5xx and network failures: worth another attempt (as the SDK's standard retry mode does). */
export function isTransient(error: unknown): boolean {
  const e = error as ErrorShape | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Called once per throttled attempt, with the error (a transaction's says which items were throttled). */
  onThrottle?: (op: string, error: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 8, baseDelayMs: 50, maxDelayMs: 5000 };

const realSleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor((policy.random ?? Math.random)() * cap);
}

export function sleepFor(policy: RetryPolicy): (ms: number) => Promise<void> {
  return policy.sleep ?? realSleep;
}

/** Runs `fn`, retrying throttling and transient failures with backoff; other errors pass through at once. */
export async function withRetry<T>(op: string, fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const sleep = sleepFor(policy);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const throttled = isThrottle(error);
      if ((!throttled && !isTransient(error)) || attempt >= policy.maxRetries) throw error;
      if (throttled) policy.onThrottle?.(op, error);
      await sleep(backoffDelay(attempt, policy));
    }
  }
}
