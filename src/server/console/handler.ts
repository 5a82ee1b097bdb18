/**
 * The operator routes of the one HTTP port: `/alarms` (the alarms this server evaluates, as JSON)
 * and the web console at `/console` (its page and files, and its API under /console/api/).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';
import { createConsoleApi, type ConsoleApiDeps } from './api.ts';
import { ConsoleAssets } from './assets.ts';

export type OpsHandler = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<string | undefined>;

/** Where media thumbnails may come from besides this origin (a CDN base URL). */
function cspFor(cdnBaseUrl: string | undefined): string {
  const media = cdnBaseUrl ? ` ${new URL(cdnBaseUrl).origin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    // GraphiQL and uPlot set element styles at run time.
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${media}`,
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function createOpsHandler(deps: ConsoleApiDeps): OpsHandler {
  const api = createConsoleApi(deps);
  const assets = new ConsoleAssets();
  const csp = cspFor(deps.config.media.cdnBaseUrl);
  const enabled = deps.config.console.enabled;

  return async (req, res, path, query) => {
    const method = req.method ?? 'GET';
    if (path === '/alarms' && method === 'GET') {
      sendJson(res, 200, { alarms: deps.system.alarms.status() }, { 'cache-control': 'no-store' });
      return 'alarms';
    }
    if (!enabled || (path !== '/console' && !path.startsWith('/console/'))) return undefined;
    if (path.startsWith('/console/api/')) {
      await api(req, res, path.slice('/console/api/'.length), query);
      return 'console-api';
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { message: 'Use GET.' }, { allow: 'GET, HEAD' });
      return 'console';
    }
    const asset = assets.get(path === '/console' ? '' : path.slice('/console/'.length));
    if (!asset) {
      sendJson(res, 404, { message: 'Not found' });
      return 'console';
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': asset.cacheControl,
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(method === 'HEAD' ? undefined : asset.body);
    return 'console';
  };
}
