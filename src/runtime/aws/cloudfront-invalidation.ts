/**
 * CloudFront invalidations for `biilive cdn invalidate --distribution-id`: the same path rules as
 * the embedded CDN (src/domain/media/cdn-paths.ts), CreateInvalidation with a CallerReference that
 * is unique per call (CloudFront treats a reused reference as a retry of the earlier batch), and
 * optionally the SDK's own waiter on GetInvalidation until the status is Completed.
 */
import { randomUUID } from 'node:crypto';
import { CloudFrontClient, CreateInvalidationCommand, waitUntilInvalidationCompleted } from '@aws-sdk/client-cloudfront';
import { validateInvalidationPaths } from '../../domain/media/cdn-paths.ts';

/** CloudFront is global; its API is signed for us-east-1 whatever the caller's region. */
export const CLOUDFRONT_REGION = 'us-east-1';
/** Invalidations usually complete in a minute or two; stop waiting (it still completes) after this. */
export const DEFAULT_INVALIDATION_WAIT_SECONDS = 15 * 60;
/** The SDK waiter's back-off bounds for GetInvalidation (its own defaults are 20 s and 600 s). */
export const DEFAULT_INVALIDATION_POLL = { minDelaySeconds: 10, maxDelaySeconds: 60 };

export interface InvalidateOptions {
  distributionId: string;
  /** Validated and deduplicated as CloudFront paths (BadRequest AppError otherwise). */
  paths: unknown;
  client?: CloudFrontClient;
  region?: string;
  /** Default: "biilive-" + a random UUID. */
  callerReference?: string;
}

export interface CloudFrontInvalidation {
  id: string;
  status: string;
  distributionId: string;
  paths: string[];
  callerReference: string;
  createTime?: string;
}

export interface WaitOptions {
  client?: CloudFrontClient;
  region?: string;
  maxWaitSeconds?: number;
  minDelaySeconds?: number;
  maxDelaySeconds?: number;
}

/** The distribution's invalidation was not Completed within the wait; it goes on in CloudFront. */
export class InvalidationWaitError extends Error {
  override readonly name = 'InvalidationWaitError';
}

/** Creates one invalidation batch; resolves with CloudFront's id and status (InProgress). */
export async function createInvalidation(options: InvalidateOptions): Promise<CloudFrontInvalidation> {
  const paths = validateInvalidationPaths(options.paths);
  const callerReference = options.callerReference ?? `biilive-${randomUUID()}`;
  const client = options.client ?? newClient(options.region);
  try {
    const out = await client.send(
      new CreateInvalidationCommand({
        DistributionId: options.distributionId,
        InvalidationBatch: { Paths: { Quantity: paths.length, Items: paths }, CallerReference: callerReference },
      }),
    );
    const inv = out.Invalidation;
    return {
      id: inv?.Id ?? '',
      status: inv?.Status ?? 'InProgress',
      distributionId: options.distributionId,
      paths,
      callerReference,
      createTime: inv?.CreateTime?.toISOString(),
    };
  } finally {
    if (!options.client) client.destroy();
  }
}

/** Waits until the invalidation's status is Completed (GetInvalidation through the SDK waiter). */
export async function waitForInvalidation(distributionId: string, invalidationId: string, options: WaitOptions = {}): Promise<void> {
  const client = options.client ?? newClient(options.region);
  const maxWaitTime = options.maxWaitSeconds ?? DEFAULT_INVALIDATION_WAIT_SECONDS;
  // The waiter refuses a first delay that is not shorter than the whole wait.
  const minDelay = Math.min(options.minDelaySeconds ?? DEFAULT_INVALIDATION_POLL.minDelaySeconds, maxWaitTime / 2);
  const maxDelay = Math.max(minDelay, options.maxDelaySeconds ?? DEFAULT_INVALIDATION_POLL.maxDelaySeconds);
  try {
    await waitUntilInvalidationCompleted({ client, maxWaitTime, minDelay, maxDelay }, { DistributionId: distributionId, Id: invalidationId });
  } catch (err) {
    // The waiter retries on any GetInvalidation error too, and on timeout throws an Error whose
    // message is a JSON dump of its state: keep what CloudFront last answered.
    if (err instanceof Error && err.name === 'TimeoutError') {
      const seen = lastObserved(err.message);
      throw new InvalidationWaitError(
        `invalidation ${invalidationId} was not Completed within ${maxWaitTime} s (it goes on in CloudFront)${seen ? `; last answer: ${seen}` : ''}`,
      );
    }
    throw err;
  } finally {
    if (!options.client) client.destroy();
  }
}

function lastObserved(waiterMessage: string): string | undefined {
  try {
    const state = JSON.parse(waiterMessage) as { observedResponses?: Record<string, number> };
    return Object.keys(state.observedResponses ?? {}).at(-1);
  } catch {
    return undefined;
  }
}

function newClient(region?: string): CloudFrontClient {
  return new CloudFrontClient({ region: region ?? CLOUDFRONT_REGION });
}
