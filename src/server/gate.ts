import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sendJson } from './http.ts';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Seconds a client is told to wait (Retry-After) while the server starts or stops. */
const RETRY_AFTER_S = 1;

/**
 * The HTTP server's listeners, attached before it listens: until the system is ready every
 * request gets a 503 with Retry-After (in the shape its protocol's clients parse), so a request
 * that arrives while starting is answered at once and clients retry; the same once shutdown
 * begins. `/healthz` is liveness (200 whenever the process answers); `/readyz` is readiness
 * (200 only between `open` and `closing`).
 */
export class Gate {
  private handler: RequestListener | undefined;
  private upgrader: UpgradeListener | undefined;
  private state: 'starting' | 'ready' | 'stopping' = 'starting';

  /** The 'request' listener. */
  readonly request: RequestListener = (req, res) => {
    const path = pathOf(req);
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      return this.state === 'ready' ? sendJson(res, 200, { status: 'ready' }) : unavailable(req, res, this.state);
    }
    if (this.state !== 'ready' || !this.handler) return unavailable(req, res, this.state);
    this.handler(req, res);
  };

  /** The 'upgrade' listener (WebSocket). */
  readonly upgrade: UpgradeListener = (req, socket, head) => {
    if (this.state !== 'ready' || !this.upgrader) {
      socket.on('error', () => undefined);
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after: ${RETRY_AFTER_S}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    this.upgrader(req, socket, head);
  };

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Starts serving through these listeners. */
  open(handler: RequestListener, upgrader: UpgradeListener): void {
    this.handler = handler;
    this.upgrader = upgrader;
    if (this.state === 'starting') this.state = 'ready';
  }

  /** From now on new requests get 503 (requests already inside finish normally). */
  closing(): void {
    this.state = 'stopping';
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** 503 + Retry-After, as an AppSync error, a Cognito error or plain JSON depending on the route. */
function unavailable(req: IncomingMessage, res: ServerResponse, state: string): void {
  req.resume();
  const message = state === 'stopping' ? 'The server is shutting down; retry shortly.' : 'The server is starting; retry shortly.';
  const headers: Record<string, string> = { 'retry-after': String(RETRY_AFTER_S), 'x-amzn-errortype': 'ServiceUnavailableException:' };
  if (state === 'stopping') headers.connection = 'close';
  const path = pathOf(req);
  if (path === '/graphql') return sendJson(res, 503, { errors: [{ errorType: 'ServiceUnavailableException', message }] }, headers);
  if (req.headers['x-amz-target']) {
    return sendJson(res, 503, { __type: 'ServiceUnavailableException', message }, headers, 'application/x-amz-json-1.1');
  }
  sendJson(res, 503, { status: state, message }, headers);
}
