import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Config } from '../../config/schema.ts';
import type { SubscriptionBroker } from '../../api/subscriptions/broker.ts';
import type { TokenVerifier } from '../../domain/identity/contracts.ts';
import type { Logger } from '../../ports/logger.ts';
import { DocumentCache } from '../graphql/documents.ts';
import { createRequestAuth, NOT_AUTHORIZED } from '../graphql/request-auth.ts';
import { validationRules } from '../graphql/validation.ts';
import { RealtimeConnection } from './connection.ts';
import type { PresenceHooks, RealtimeContext } from './context.ts';
import * as frames from './frames.ts';
import { handshakeHeaders } from './handshake.ts';

export interface RealtimeDeps {
  config: Pick<Config, 'realtime' | 'limits' | 'production'>;
  broker: SubscriptionBroker;
  apiKey: string;
  verifier: TokenVerifier;
  presence?: PresenceHooks;
  log: Logger;
}

export interface RealtimeServer {
  /** The HTTP server's 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): { connections: number; subscriptions: number };
  /**
   * Some of `sub`'s tokens were revoked (on any replica): its credentials on this server's sockets
   * are checked again, and what rests on a refused one ends.
   */
  revoked(sub: string): void;
  /** Closes every connection (1001 going away) and stops the timers. */
  close(): Promise<void>;
}

/** AppSync's real-time path, and `/graphql` itself as AppSync-hosted endpoints use it. */
const PATHS = new Set(['/graphql/realtime', '/graphql']);

/**
 * The thin AppSync WebSocket adapter (STYLE item 10): upgrades on /graphql/realtime, hands
 * protocol frames to RealtimeConnection, and runs one timer for every connection's keep-alive,
 * init timeout, dead-peer detection, token expiry and 24 h limit. Subscriptions themselves live
 * in the broker.
 */
export function createRealtimeServer(deps: RealtimeDeps): RealtimeServer {
  const { config, log } = deps;
  const limits = config.realtime;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: limits.maxPayloadBytes,
    perMessageDeflate: false,
    // Always answer graphql-ws (never the header-... token), whatever else was offered.
    handleProtocols: (protocols) => (protocols.size > 0 ? 'graphql-ws' : false),
  });
  const connections = new Set<RealtimeConnection>();
  const ctx: RealtimeContext = {
    limits,
    broker: deps.broker,
    documents: new DocumentCache(
      deps.broker.schema,
      validationRules({ limits: config.limits, noIntrospection: config.production }),
      { size: config.limits.parsedDocumentCacheSize, maxTokens: config.limits.maxTokens },
    ),
    authenticate: createRequestAuth(deps.apiKey, deps.verifier),
    presence: deps.presence,
    log,
    closed: (c) => connections.delete(c),
  };
  let closing = false;

  const tickMs = Math.max(5, Math.min(1000, Math.floor(Math.min(limits.keepAliveMs, limits.initTimeoutMs, limits.idleTimeoutMs) / 4)));
  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of connections) {
      if (now - c.lastHeard > limits.idleTimeoutMs) {
        log.debug({}, 'realtime client silent past idle timeout: closed');
        c.terminate();
      } else if (c.state === 'awaiting-init' && now - c.openedAt > limits.initTimeoutMs) {
        c.fail(frames.connectionError([frames.ERRORS.initTimeout(limits.initTimeoutMs)]), 4408, 'connection_init timeout');
      } else if (now - c.openedAt > limits.maxConnectionMs) {
        c.fail(undefined, 1000, 'maximum connection duration');
      } else {
        c.checkExpiry(now);
        if (now - c.lastKa >= limits.keepAliveMs) {
          c.lastKa = now;
          if (c.state === 'ready') c.send(frames.KA);
          c.ping();
        }
      }
    }
  }, tickMs);
  timer.unref();

  return {
    handleUpgrade(req, socket, head) {
      const q = (req.url ?? '').indexOf('?');
      const path = q === -1 ? req.url : req.url!.slice(0, q);
      if (closing || !PATHS.has(path ?? '')) {
        socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        return;
      }
      socket.on('error', () => undefined);
      const handshake = handshakeHeaders(req);
      // Verified while the client sends connection_init; a bad header is answered there with a 401.
      const auth = handshake.ok
        ? ctx.authenticate(handshake.headers)
        : Promise.resolve({ ok: false as const, message: NOT_AUTHORIZED });
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (closing) return ws.terminate();
        connections.add(new RealtimeConnection(ws, auth, ctx, handshake.ok ? handshake.headers : undefined));
      });
    },
    revoked(sub) {
      for (const c of connections) {
        c.recheck(sub).catch((err: unknown) => log.warn({ err }, 'realtime credential re-check failed'));
      }
    },
    stats() {
      let subscriptions = 0;
      for (const c of connections) subscriptions += c.subscriptionCount;
      return { connections: connections.size, subscriptions };
    },
    async close() {
      closing = true;
      clearInterval(timer);
      const all = [...connections];
      for (const c of all) c.fail(undefined, 1001, 'server shutting down');
      connections.clear();
      // Clients normally answer the close frame at once; a dead one must not hold the shutdown.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(all.map((c) => c.ended)),
        new Promise((resolve) => (grace = setTimeout(resolve, 1000))),
      ]);
      clearTimeout(grace);
      for (const c of all) c.terminate();
      wss.close();
    },
  };
}
