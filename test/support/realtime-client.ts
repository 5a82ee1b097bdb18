/**
 * A hand-written AppSync real-time client over `ws` for tests and benches: speaks the protocol
 * frame by frame so tests can also send what no well-behaved client would.
 */
import WebSocket from 'ws';

export type Frame = { type: string; id?: string; payload?: Record<string, unknown> & { errors?: Array<Record<string, unknown>> } };

export interface ConnectOptions {
  /** Auth header object, sent as the `header-<base64url>` subprotocol (Amplify >= 6.6). */
  header?: Record<string, string>;
  /**
   * How to send `header`: subprotocol (default); query (standard base64 pasted raw, as Amplify <= 6.5);
   * query-spaces (the same with each '+' arrived as a space); or plain upgrade headers.
   */
  via?: 'subprotocol' | 'query' | 'query-spaces' | 'headers';
  protocols?: string[];
  autoPong?: boolean;
  /** Extra TLS options (a CA for self-signed certificates). */
  ca?: string | Buffer;
}

export class RawClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ pred: (f: Frame) => boolean; ok: (f: Frame) => void }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        frame = { type: '<not json>' };
      }
      const i = this.waiters.findIndex((w) => w.pred(frame));
      if (i === -1) this.frames.push(frame);
      else this.waiters.splice(i, 1)[0].ok(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  static connect(url: string, options: ConnectOptions = {}): Promise<RawClient> {
    const via = options.via ?? 'subprotocol';
    const json = options.header ? JSON.stringify(options.header) : undefined;
    let target = url;
    const protocols = [...(options.protocols ?? ['graphql-ws'])];
    const headers: Record<string, string> = {};
    if (json && via === 'subprotocol') protocols.push(`header-${Buffer.from(json).toString('base64url')}`);
    if (json && (via === 'query' || via === 'query-spaces')) {
      const b64 = Buffer.from(json).toString('base64');
      target = `${url}?header=${via === 'query' ? b64 : b64.replace(/\+/g, '%20')}&payload=e30=`;
    }
    if (options.header && via === 'headers') Object.assign(headers, options.header);
    const ws = new WebSocket(target, protocols, { headers, autoPong: options.autoPong ?? true, ca: options.ca });
    const client = new RawClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame matching `pred` (already received or to come); fails after `ms`. */
  next(pred: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
    const i = this.frames.findIndex(pred);
    if (i !== -1) return Promise.resolve(this.frames.splice(i, 1)[0]);
    return new Promise((ok, fail) => {
      const waiter = {
        pred,
        ok: (f: Frame) => {
          clearTimeout(timer);
          ok(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        fail(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(this.frames)}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  nextOfType(type: string, id?: string, ms?: number): Promise<Frame> {
    return this.next((f) => f.type === type && (id === undefined || f.id === id), ms);
  }

  /** connection_init -> connection_ack. */
  async init(): Promise<Frame> {
    this.send({ type: 'connection_init' });
    return this.next((f) => f.type === 'connection_ack' || f.type === 'connection_error');
  }

  /** start -> start_ack or error (returned). */
  async start(id: string, query: string, variables?: Record<string, unknown>, authorization?: Record<string, string>): Promise<Frame> {
    this.send({
      id,
      type: 'start',
      payload: { data: JSON.stringify({ query, variables }), extensions: authorization ? { authorization } : undefined },
    });
    return this.next((f) => f.id === id && (f.type === 'start_ack' || f.type === 'error'));
  }

  close(): void {
    this.ws.close();
  }
}
