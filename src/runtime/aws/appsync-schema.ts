/**
 * Pushes a schema to an AppSync API: StartSchemaCreation with the file's bytes (the SDK takes the
 * blob as a Uint8Array and encodes it itself: nothing is base64-encoded by hand, unlike the seed's
 * shell script), then GetSchemaCreationStatus until AppSync says SUCCESS or FAILED. On failure
 * the caller gets AppSync's own `details` text, which is the only place the parse error is told.
 */
import { AppSyncClient, GetSchemaCreationStatusCommand, StartSchemaCreationCommand } from '@aws-sdk/client-appsync';

/** Between two GetSchemaCreationStatus calls. */
export const DEFAULT_SCHEMA_POLL_INTERVAL_MS = 2_000;
/** Schema creation normally takes seconds; give up (the push may still finish) after this. */
export const DEFAULT_SCHEMA_PUSH_TIMEOUT_MS = 5 * 60_000;

/** AppSync's statuses that end a schema creation (the others, PROCESSING and DELETING, do not). */
const SUCCEEDED = new Set(['SUCCESS', 'ACTIVE']);
const FAILED = new Set(['FAILED', 'NOT_APPLICABLE']);

export interface PushSchemaOptions {
  apiId: string;
  /** The schema file's bytes, sent as they are. */
  definition: Uint8Array;
  /** A ready client (tests, or a caller with its own credentials); else one is built for `region`. */
  client?: AppSyncClient;
  region?: string;
  pollIntervalMs?: number;
  timeoutMs?: number;
  /** Told each status AppSync reports (the first from StartSchemaCreation). */
  onStatus?: (status: string) => void;
}

export interface PushSchemaResult {
  status: string;
  details?: string;
  /** GetSchemaCreationStatus calls made. */
  polls: number;
}

/** AppSync reported the schema creation as failed; `details` is AppSync's own text. */
export class SchemaPushFailedError extends Error {
  override readonly name = 'SchemaPushFailedError';
  constructor(
    readonly status: string,
    readonly details: string | undefined,
  ) {
    super(`AppSync schema creation ${status}${details ? `: ${details}` : ''}`);
  }
}

/** AppSync was still working when the wait ended; the creation may yet succeed or fail. */
export class SchemaPushTimeoutError extends Error {
  override readonly name = 'SchemaPushTimeoutError';
  constructor(
    readonly status: string,
    readonly waitedMs: number,
  ) {
    super(`AppSync schema creation still ${status} after ${Math.round(waitedMs / 1000)} s`);
  }
}

/** Starts the schema creation and waits for its outcome; throws SchemaPushFailedError / SchemaPushTimeoutError. */
export async function pushSchema(options: PushSchemaOptions): Promise<PushSchemaResult> {
  const client = options.client ?? new AppSyncClient({ region: options.region });
  const interval = options.pollIntervalMs ?? DEFAULT_SCHEMA_POLL_INTERVAL_MS;
  const timeout = options.timeoutMs ?? DEFAULT_SCHEMA_PUSH_TIMEOUT_MS;
  const startedAt = Date.now();
  try {
    const started = await client.send(new StartSchemaCreationCommand({ apiId: options.apiId, definition: options.definition }));
    let status = started.status ?? 'PROCESSING';
    let details: string | undefined;
    options.onStatus?.(status);
    let polls = 0;
    // Even a SUCCESS from the start is confirmed by one status call, which also carries the details.
    for (;;) {
      if (polls > 0 || !SUCCEEDED.has(status)) await sleep(interval);
      const current = await client.send(new GetSchemaCreationStatusCommand({ apiId: options.apiId }));
      polls++;
      status = current.status ?? status;
      details = current.details;
      options.onStatus?.(status);
      if (SUCCEEDED.has(status)) return { status, details, polls };
      if (FAILED.has(status)) throw new SchemaPushFailedError(status, details);
      const waited = Date.now() - startedAt;
      if (waited + interval > timeout) throw new SchemaPushTimeoutError(status, waited);
    }
  } finally {
    if (!options.client) client.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
