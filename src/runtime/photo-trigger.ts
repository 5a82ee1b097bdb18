/**
 * Embedded trigger of ProcessProfilePhoto: the blob store's object-created events, as S3 would send
 * them, through a bounded queue (at most `concurrency` photos in memory and in flight). On start it
 * also queues every upload still under `incoming/` (the server stopped before processing it).
 * A failed run is retried with backoff; after the last try the upload stays in quarantine until
 * the next start.
 */
import type { Blobs } from '../ports/blobs.ts';
import type { Logger } from '../ports/logger.ts';
import { INCOMING_PREFIX, parsePhotoUpload } from '../domain/media/keys.ts';
import type { ProcessedRecord, ProcessProfilePhoto } from '../functions/process-profile-photo/handler.ts';
import { toS3Event, type S3Event } from '../functions/process-profile-photo/s3-event.ts';

/** One run of the function on one upload (a retry is another run, as a Lambda retry is another invocation). */
export interface PhotoRun {
  key: string;
  seconds: number;
  results?: ProcessedRecord[];
  error?: unknown;
}

export interface PhotoTriggerOptions {
  blobs: Blobs;
  fn: ProcessProfilePhoto;
  concurrency: number;
  log?: Logger;
  region?: string;
  /** Delays before each retry of a failed run, ms. */
  retryDelaysMs?: number[];
  /**
   * Also rescan `incoming/` this often, ms (0/undefined: only at start). For an S3 store whose
   * direct uploads raise no event here (no bucket notification to this process).
   */
  rescanMs?: number;
  /** Sees every run (metrics, the console's recent uploads). */
  observe?: (run: PhotoRun) => void;
}

export interface PhotoTrigger {
  /** Subscribes to the store and queues the backlog. */
  start(): Promise<void>;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
  /** Unsubscribes and waits for running jobs; queued ones stay in quarantine for the next start. */
  stop(): Promise<void>;
}

export function createPhotoTrigger(options: PhotoTriggerOptions): PhotoTrigger {
  const { blobs, fn, log } = options;
  const retryDelays = options.retryDelaysMs ?? [200, 2000, 10_000];
  const queued = new Map<string, S3Event>();
  /** Keys being processed: a rescan or duplicate event does not start them twice. */
  const active = new Set<string>();
  let running = 0;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let idleWaiters: Array<() => void> = [];
  let rescan: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  /** Pending retry delays; stop() ends them early. */
  const sleeping = new Set<() => void>();

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleeping.add(wake);
    });
  }

  function settle() {
    if (running === 0 && queued.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function enqueue(key: string, event: S3Event) {
    if (stopped || queued.has(key) || active.has(key)) return;
    queued.set(key, event);
    pump();
  }

  function pump() {
    while (!stopped && running < options.concurrency && queued.size > 0) {
      const [key, event] = queued.entries().next().value as [string, S3Event];
      queued.delete(key);
      running++;
      active.add(key);
      void run(key, event).finally(() => {
        running--;
        active.delete(key);
        pump();
        settle();
      });
    }
    settle();
  }

  async function run(key: string, event: S3Event) {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const results = await fn.handler(event);
        options.observe?.({ key, seconds: seconds(), results });
        return;
      } catch (err) {
        options.observe?.({ key, seconds: seconds(), error: err ?? new Error('undefined thrown') });
        if (attempt >= retryDelays.length || stopped) {
          log?.error({ err, key }, 'photo processing failed; the upload stays in quarantine');
          return;
        }
        await sleep(retryDelays[attempt]);
      }
    }
  }

  /** Queues every photo upload found under incoming/ (one scan at a time). */
  function scan(): Promise<void> {
    scanning ??= (async () => {
      let cursor: string | undefined;
      do {
        const page = await blobs.list(INCOMING_PREFIX, { cursor, limit: 1000 });
        for (const item of page.items) {
          if (!parsePhotoUpload(item.key)) continue;
          const event = { eventName: 'ObjectCreated:Put' as const, bucket: blobs.bucket, key: item.key, size: item.size, etag: item.etag, eventTime: item.lastModified };
          enqueue(item.key, toS3Event(event, options.region));
        }
        cursor = page.cursor;
      } while (cursor && !stopped);
    })().finally(() => (scanning = undefined));
    return scanning;
  }

  return {
    async start() {
      stopped = false;
      unsubscribe = blobs.onObjectCreated((e) => {
        if (parsePhotoUpload(e.key)) enqueue(e.key, toS3Event(e, options.region));
      });
      await scan();
      if (queued.size > 0) log?.info({ count: queued.size }, 'queued photo uploads left from a previous run');
      if (options.rescanMs) {
        rescan = setInterval(() => void scan().catch((err: unknown) => log?.warn({ err }, 'incoming/ rescan failed')), options.rescanMs);
        rescan.unref();
      }
    },
    idle() {
      if (running === 0 && queued.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      if (rescan) clearInterval(rescan);
      for (const wake of [...sleeping]) wake();
      await scanning?.catch(() => {});
      unsubscribe?.();
      queued.clear();
      if (running > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
