/**
 * The media part of the one HTTP port (embedded "CloudFront + S3"):
 *   GET/HEAD /profile-photos/*, /fotos/*, /videos/*   CDN behaviours (src/domain/media/behaviours.ts, ./serve.ts)
 *   PUT      /media/upload/<key>?...                   presigned upload (embedded store, ./upload.ts)
 *   GET/HEAD /media/object/<key>?...                   presigned download (embedded store)
 * Any other path: `false`, so the caller's router falls through.
 *
 * Paths are decoded segment by segment; a segment that decodes to contain '/', or a key the blob
 * key rules refuse ('..', '.', empty segments, '\', '%', NUL), is a 400 and touches no storage.
 *
 * Invalidation: `invalidate(paths)` clears this process's cache at once. Across processes and
 * replicas, `biilive cdn invalidate` records the invalidation in the system table
 * (src/domain/media/invalidations.ts) and every media handler polls it every invalidationPollMs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateInvalidationPaths } from '../../domain/media/cdn-paths.ts';
import type { CdnInvalidations } from '../../domain/media/invalidations.ts';
import { parseMediaKey } from '../../domain/media/keys.ts';
import { isValidBlobKey, type Blobs, type PresignVerifier } from '../../ports/blobs.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { DOWNLOAD, behaviourFor } from '../../domain/media/behaviours.ts';
import { HotObjectCache } from './cache.ts';
import { sendS3Error } from './s3-errors.ts';
import { serveFromCache, serveObject } from './serve.ts';
import { handleUpload, isUploadKey } from './upload.ts';

export interface MediaHandlerDeps {
  blobs: Blobs;
  /** The embedded store's URL verifier; without it (S3 store) /media/upload and /media/object are 404. */
  presign?: PresignVerifier;
  clock?: Clock;
  log?: Logger;
  /** Hot-object cache limits (config media.cdnCacheMaxBytes / cdnCacheObjectMaxBytes); 0 disables it. */
  cacheMaxBytes: number;
  cacheObjectMaxBytes: number;
  /** Shared invalidations to poll (omit: only in-process `invalidate`). */
  invalidations?: Pick<CdnInvalidations, 'generation' | 'since'>;
  invalidationPollMs?: number;
  /** Keys a presigned PUT may target (default: photo uploads under incoming/ and video keys). */
  uploadKeys?: (key: string) => boolean;
  /**
   * Called once per answered request (the media GET/PUT, 4xx/5xx and bytes metrics): the behaviour
   * path (`/profile-photos/*`, `/fotos/*`, `/videos/*`, `upload`, `download`), method, status and
   * body bytes sent (the Content-Length; 0 for HEAD).
   */
  observe?: (behaviour: string, method: string, status: number, bytes: number) => void;
}

export interface MediaHandler {
  /** Handles the request and resolves true, or resolves false (untouched) when the path is not media's. */
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Applies CloudFront-style paths to this process's cache now; returns how many objects were dropped. */
  invalidate(paths: string[]): number;
  /** Applies shared invalidations recorded since the last poll (also runs on a timer). */
  poll(): Promise<void>;
  readonly cache: HotObjectCache;
  close(): Promise<void>;
}

const UPLOAD = '/media/upload/';

export function createMediaHandler(deps: MediaHandlerDeps): MediaHandler {
  const clock = deps.clock ?? systemClock;
  const cache = new HotObjectCache(deps.cacheMaxBytes, deps.cacheObjectMaxBytes);
  let seen: number | undefined;
  let polling: Promise<void> | undefined;

  async function pollOnce(): Promise<void> {
    if (!deps.invalidations) return;
    if (seen === undefined) {
      // Start from "now": the cache is empty, older invalidations have nothing to drop.
      seen = await deps.invalidations.generation();
      return;
    }
    const current = await deps.invalidations.generation();
    if (current <= seen) return;
    for (const inv of await deps.invalidations.since(seen)) {
      cache.invalidate(inv.paths);
      seen = Math.max(seen, inv.generation);
    }
  }
  const poll = () => (polling ??= pollOnce().finally(() => (polling = undefined)));
  // A poll still running (a slow or unreachable store) is not joined by the next tick: one failure, one log line.
  const timer = deps.invalidations
    ? setInterval(() => {
        if (!polling) poll().catch((err: unknown) => deps.log?.warn({ err }, 'CDN invalidation poll failed'));
      }, deps.invalidationPollMs ?? 1000)
    : undefined;
  timer?.unref();
  if (deps.invalidations) poll().catch((err: unknown) => deps.log?.warn({ err }, 'CDN invalidation poll failed'));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const behaviour = behaviourFor(path);
    const isUpload = path.startsWith(UPLOAD);
    const isDownload = path.startsWith(DOWNLOAD.prefix);
    if (!behaviour && !isUpload && !isDownload) return undefined;
    const routeName = behaviour ? `${behaviour.prefix}*` : isUpload ? 'upload' : 'download';
    const method = req.method ?? 'GET';
    // Hot path: a cached object under a path that needs no decoding.
    if (behaviour?.cacheable && (method === 'GET' || method === 'HEAD') && !path.includes('%') && serveFromCache(req, res, cache, behaviour, path)) {
      return routeName;
    }

    const key = keyOf(behaviour ? path.slice(1) : path.slice(isUpload ? UPLOAD.length : DOWNLOAD.prefix.length));
    if (key === undefined) {
      sendS3Error(req, res, 400, 'InvalidURI', 'Could not parse the specified URI.');
      return routeName;
    }
    if (isUpload) {
      if (method !== 'PUT') {
        sendS3Error(req, res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {}, { allow: 'PUT' });
      } else if (!deps.presign) {
        sendS3Error(req, res, 404, 'NoSuchUpload', 'Uploads go to the configured S3 store.');
      } else {
        await handleUpload(req, res, {
          blobs: deps.blobs,
          presign: deps.presign,
          now: clock.now(),
          key,
          query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
          allowed: deps.uploadKeys ?? isUploadKey,
        });
      }
      return routeName;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendS3Error(req, res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {}, { allow: 'GET, HEAD' });
      return routeName;
    }
    if (isDownload) {
      const check = deps.presign?.verify({ method: 'GET', key, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), now: clock.now() });
      if (!check?.ok) {
        sendS3Error(req, res, 403, check?.code ?? 'AccessDenied', check?.message ?? 'Access Denied');
        return routeName;
      }
      await serveObject(req, res, {
        blobs: deps.blobs,
        behaviour: DOWNLOAD,
        key,
        path,
        extraHeaders: { 'content-disposition': 'attachment', 'content-security-policy': "default-src 'none'; sandbox" },
      });
      return routeName;
    }
    // CDN paths serve only the layout's public keys (never incoming/ or anything else).
    if (!parseMediaKey(key)) {
      sendS3Error(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return routeName;
    }
    await serveObject(req, res, { blobs: deps.blobs, cache, behaviour: behaviour!, key, path: `/${key}` });
    return routeName;
  }

  const handler = (async (req: IncomingMessage, res: ServerResponse) => {
    let name: Awaited<ReturnType<typeof route>>;
    try {
      name = await route(req, res);
    } catch (err) {
      deps.log?.error({ err, url: req.url }, 'media request failed');
      if (!res.headersSent) sendS3Error(req, res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      else res.destroy();
      const b = behaviourFor(req.url ?? '/');
      name = b ? `${b.prefix}*` : req.url?.startsWith(UPLOAD) ? 'upload' : 'download';
    }
    if (!name) return false;
    const method = req.method ?? 'GET';
    const bytes = method === 'HEAD' ? 0 : Number(res.getHeader('content-length') ?? 0) || 0;
    deps.observe?.(name, method, res.statusCode, bytes);
    return true;
  }) as MediaHandler;
  handler.invalidate = (paths) => cache.invalidate(validateInvalidationPaths(paths));
  handler.poll = poll;
  Object.defineProperty(handler, 'cache', { value: cache });
  handler.close = async () => {
    if (timer) clearInterval(timer);
    // The last poll's failure was already logged where it was started.
    await polling?.catch(() => undefined);
  };
  return handler;
}

/** Decodes a raw path into a blob key, or undefined when it is not a valid, unambiguous key. */
function keyOf(rawPath: string): string | undefined {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment.includes('/')) return undefined;
    segments.push(segment);
  }
  const key = segments.join('/');
  return isValidBlobKey(key) ? key : undefined;
}
