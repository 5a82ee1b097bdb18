/**
 * GET/HEAD of one object with CloudFront's behaviour: strong ETag, If-None-Match / If-Modified-Since
 * -> 304, a single byte range -> 206 (416 when it starts past the end), HEAD, explicit Content-Type
 * with nosniff. Whole small objects are served from (and fill) the hot-object cache.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { BlobRangeError, type BlobInfo, type Blobs, type ByteRange } from '../../ports/blobs.ts';
import type { Behaviour } from '../../domain/media/behaviours.ts';
import type { CachedObject, HotObjectCache } from './cache.ts';
import { noneMatch, notModifiedSince, parseRange, rangeStillValid } from './http-range.ts';
import { sendS3Error } from './s3-errors.ts';

export interface ServeContext {
  blobs: Blobs;
  cache?: HotObjectCache;
  behaviour: Behaviour;
  key: string;
  /** The cache key: '/' + key. */
  path: string;
  extraHeaders?: Record<string, string>;
}

type Meta = Pick<BlobInfo, 'size' | 'etag' | 'lastModified' | 'contentType'>;

function headers(ctx: Pick<ServeContext, 'behaviour' | 'extraHeaders'>, meta: Meta): Record<string, string> {
  return {
    'content-type': ctx.behaviour.contentType(meta.contentType),
    etag: meta.etag,
    'last-modified': new Date(meta.lastModified).toUTCString(),
    'cache-control': ctx.behaviour.cacheControl,
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    ...ctx.extraHeaders,
  };
}

/** 304 when the client's copy is current. */
function notModified(req: IncomingMessage, res: ServerResponse, ctx: Pick<ServeContext, 'behaviour' | 'extraHeaders'>, meta: Meta): boolean {
  const inm = req.headers['if-none-match'];
  const fresh = inm !== undefined ? noneMatch(inm, meta.etag) : notModifiedSince(req.headers['if-modified-since'], meta.lastModified);
  if (!fresh) return false;
  const h = headers(ctx, meta);
  res.writeHead(304, { etag: h.etag, 'cache-control': h['cache-control'], 'last-modified': h['last-modified'], 'x-content-type-options': 'nosniff' });
  res.end();
  return true;
}

function requestedRange(req: IncomingMessage, meta: Meta): ByteRange | undefined {
  const range = parseRange(req.headers.range);
  return range && rangeStillValid(req.headers['if-range'] as string | undefined, meta.etag, meta.lastModified) ? range : undefined;
}

function rangeNotSatisfiable(req: IncomingMessage, res: ServerResponse, size: number) {
  sendS3Error(req, res, 416, 'InvalidRange', 'The requested range is not satisfiable', {}, { 'content-range': `bytes */${size}` });
}

/**
 * Serves `path` from the cache if it is there (a plain GET/HEAD is one writeHead of prebuilt
 * headers); false on a miss. Only validated keys are ever cached, so callers may try this first.
 */
export function serveFromCache(req: IncomingMessage, res: ServerResponse, cache: HotObjectCache, behaviour: Behaviour, path: string): boolean {
  const entry = cache.get(path);
  if (!entry) return false;
  const h = req.headers;
  if (h.range === undefined && h['if-none-match'] === undefined && h['if-modified-since'] === undefined) {
    res.writeHead(200, entry.headers);
    res.end(req.method === 'HEAD' ? undefined : entry.body);
  } else {
    sendCached(req, res, { behaviour, path } as ServeContext, entry);
  }
  return true;
}

function sendCached(req: IncomingMessage, res: ServerResponse, ctx: Pick<ServeContext, 'behaviour' | 'extraHeaders'>, entry: CachedObject) {
  const meta = { size: entry.body.length, etag: entry.etag, lastModified: entry.lastModified, contentType: entry.contentType };
  if (notModified(req, res, ctx, meta)) return;
  const h = headers(ctx, meta);
  let body = entry.body;
  let status = 200;
  const range = requestedRange(req, meta);
  if (range) {
    let r: { start: number; end: number };
    try {
      r = resolve(range, meta.size);
    } catch {
      return rangeNotSatisfiable(req, res, meta.size);
    }
    body = entry.body.subarray(r.start, r.end + 1);
    h['content-range'] = `bytes ${r.start}-${r.end}/${meta.size}`;
    status = 206;
  }
  h['content-length'] = String(body.length);
  res.writeHead(status, h);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function resolve(range: ByteRange, size: number): { start: number; end: number } {
  if ('suffix' in range) {
    if (range.suffix <= 0 || size === 0) throw new BlobRangeError(size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size) throw new BlobRangeError(size);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

export async function serveObject(req: IncomingMessage, res: ServerResponse, ctx: ServeContext): Promise<void> {
  const cache = ctx.behaviour.cacheable ? ctx.cache : undefined;
  if (cache && serveFromCache(req, res, cache, ctx.behaviour, ctx.path)) return;

  const epoch = cache?.epoch ?? 0;
  const head = req.method === 'HEAD' ? await ctx.blobs.head(ctx.key) : undefined;
  if (req.method === 'HEAD') {
    if (!head) return sendS3Error(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (notModified(req, res, ctx, head)) return;
    const range = requestedRange(req, head);
    const h = headers(ctx, head);
    if (range) {
      let r;
      try {
        r = resolve(range, head.size);
      } catch {
        return rangeNotSatisfiable(req, res, head.size);
      }
      h['content-range'] = `bytes ${r.start}-${r.end}/${head.size}`;
      h['content-length'] = String(r.end - r.start + 1);
      res.writeHead(206, h);
    } else {
      h['content-length'] = String(head.size);
      res.writeHead(200, h);
    }
    res.end();
    return;
  }

  if (cache) {
    const object = await ctx.blobs.get(ctx.key);
    if (!object) return sendS3Error(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (cache.accepts(object.info.size)) {
      const { info, body } = object;
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      const entry: CachedObject = {
        body: bytes,
        contentType: info.contentType,
        etag: info.etag,
        lastModified: info.lastModified,
        headers: { ...headers(ctx, info), 'content-length': String(bytes.length) },
      };
      cache.set(ctx.path, entry, epoch);
      return sendCached(req, res, ctx, entry);
    }
    object.body.destroy();
  }

  // Streamed: a range request reads only that range from the store.
  let range = parseRange(req.headers.range);
  if (range && req.headers['if-range']) {
    const info = await ctx.blobs.head(ctx.key);
    if (info && !rangeStillValid(req.headers['if-range'] as string, info.etag, info.lastModified)) range = undefined;
  }
  let object;
  try {
    object = await ctx.blobs.get(ctx.key, range ? { range } : {});
  } catch (err) {
    if (err instanceof BlobRangeError) return rangeNotSatisfiable(req, res, err.size);
    throw err;
  }
  if (!object) return sendS3Error(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
  if (notModified(req, res, ctx, object.info)) {
    object.body.destroy();
    return;
  }
  return stream(res, ctx, object.info, object.body, object.range);
}

async function stream(res: ServerResponse, ctx: ServeContext, info: BlobInfo, body: NodeJS.ReadableStream, range?: { start: number; end: number }) {
  const h = headers(ctx, info);
  if (range) {
    h['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    h['content-length'] = String(range.end - range.start + 1);
    res.writeHead(206, h);
  } else {
    h['content-length'] = String(info.size);
    res.writeHead(200, h);
  }
  try {
    await pipeline(body, res);
  } catch {
    // The client went away mid-body: nothing to answer.
  }
}
