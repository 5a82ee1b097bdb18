import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../ports/logger.ts';
import { BodyTooLargeError, readBody, sendJson, type BodyHandler } from './http.ts';
import type { ServerMetrics } from './metrics.ts';
import type { OpsHandler } from './console/handler.ts';

export interface ServerDeps {
  log: Logger;
  bodyLimit: number;
  metrics: ServerMetrics;
  /** Cognito user pool API: POST / with X-Amz-Target (absent with an external user pool). */
  cognito?: BodyHandler;
  /** Cognito Identity API: POST / with X-Amz-Target AWSCognitoIdentityService.* (the identity pool). */
  identityPool?: BodyHandler;
  /** The S3-compatible media endpoint (bucket paths and hosts): resolves false when the request is not its. */
  s3?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** AppSync GraphQL over HTTP: POST /graphql. */
  graphql: BodyHandler;
  /** `/{userPoolId}/.well-known/{jwks.json|openid-configuration}`; undefined = not found. */
  wellKnown: (poolId: string, document: string) => Promise<object | undefined>;
  /** GET /metrics on this port: 'open', behind a bearer token, or not served ('off'). */
  metricsAccess: { kind: 'open' } | { kind: 'token'; token: string } | { kind: 'off' };
  /** Media paths (CDN behaviours, presigned PUT/GET): resolves false when the path is not media's. */
  media?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Operator routes (/alarms, /console): resolves the route name, or undefined when the path is not theirs. */
  ops?: OpsHandler;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, HEAD, DELETE, OPTIONS',
  'access-control-max-age': '86400',
};
/** Response headers browsers may read (S3 clients need ETag for multipart, and the request ids). */
const EXPOSED = 'etag, x-amz-request-id, x-amz-checksum-crc32, x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage';

/**
 * Prometheus text, or 401 without the bearer token when one is required (compared in constant
 * time). Also the whole of the separate metrics port's handler.
 */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: ServerMetrics, token?: string): Promise<void> {
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    sendJson(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="metrics"' });
    return;
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType });
  res.end(body);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = createHash('sha256').update(m[1]).digest();
  return timingSafeEqual(given, createHash('sha256').update(token).digest());
}

/** Builds the one HTTP handler; only the CLI (or a test) listens. /healthz and /readyz are the Gate's. */
export function createServer(deps: ServerDeps): RequestListener {
  const { log, metrics } = deps;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';

    if (method === 'OPTIONS') {
      res.writeHead(204, {
        ...CORS,
        'access-control-allow-headers':
          req.headers['access-control-request-headers'] ??
          'content-type, x-api-key, authorization, x-amz-target, x-amz-user-agent, x-amz-date, x-amz-security-token, cache-control',
      });
      res.end();
      return 'options';
    }
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', EXPOSED);
    // Before anything reads the body: S3 writes and presigned PUTs stream their own (not bound by bodyLimit).
    if (deps.s3 && (await deps.s3(req, res))) return 's3';
    if (deps.media && (await deps.media(req, res))) return 'media';

    if (path === '/graphql') {
      if (method !== 'POST') {
        sendJson(res, 405, { errors: [{ errorType: 'MalformedHttpRequestException', message: 'Use POST.' }] });
        return 'graphql';
      }
      await withBody(req, res, deps.graphql, (limit) =>
        sendJson(res, 413, { errors: [{ errorType: 'PayloadTooLargeException', message: new BodyTooLargeError(limit).message }] }),
      );
      return 'graphql';
    }
    const target = req.headers['x-amz-target'];
    const amzJson = path === '/' && method === 'POST' && typeof target === 'string';
    const handler = amzJson ? (target.startsWith('AWSCognitoIdentityService.') ? deps.identityPool : deps.cognito) : undefined;
    if (amzJson && handler) {
      const name = handler === deps.cognito ? 'cognito' : 'identity-pool';
      await withBody(req, res, handler, (limit) =>
        sendJson(
          res,
          400,
          { __type: 'InvalidParameterException', message: new BodyTooLargeError(limit).message },
          { 'x-amzn-errortype': 'InvalidParameterException:' },
          'application/x-amz-json-1.1',
        ),
      );
      return name;
    }
    if (method === 'GET' && path === '/metrics' && deps.metricsAccess.kind !== 'off') {
      await serveMetrics(req, res, metrics, deps.metricsAccess.kind === 'token' ? deps.metricsAccess.token : undefined);
      return 'metrics';
    }
    if (deps.ops) {
      const name = await deps.ops(req, res, path, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)));
      if (name) return name;
    }
    const wk = /^\/([^/]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(path);
    if (method === 'GET' && wk) {
      const doc = await deps.wellKnown(decodeURIComponent(wk[1]), wk[2]);
      if (doc) sendJson(res, 200, doc, { 'cache-control': 'public, max-age=300' });
      else sendJson(res, 404, { message: 'Not found' });
      return 'well-known';
    }
    sendJson(res, 404, { message: 'Not found' });
    return 'not-found';
  }

  async function withBody(req: IncomingMessage, res: ServerResponse, handler: BodyHandler, tooLarge: (limit: number) => void) {
    let body: Buffer;
    try {
      body = await readBody(req, deps.bodyLimit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        tooLarge(err.limit);
        return;
      }
      throw err;
    }
    await handler(req, res, body);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    route(req, res)
      .then((name) => metrics.observe(name, res.statusCode, started))
      .catch((err: unknown) => {
        log.error({ err }, 'unhandled request error');
        metrics.observe('error', 500, started);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
        else res.destroy();
      });
  };
}
