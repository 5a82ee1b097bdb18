import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { GraphQLSchema } from 'graphql';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../ports/logger.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import type { CodeSender } from '../ports/code-sender.ts';
import type { Installation } from '../domain/installation.ts';
import { assembleSystem, openFoundation, type Foundation, type System } from '../runtime/system.ts';
import { endpointsFor, writeRuntimeFile, removeRuntimeFile, type Endpoints } from '../runtime/endpoints.ts';
import { loadTls, type TlsMaterial } from '../runtime/tls.ts';
import { createCognitoHandler } from './cognito/router.ts';
import { createOperatorAuth } from './cognito/operator-auth.ts';
import { createIdentityPoolHandler } from './identity-pool/router.ts';
import { createS3Endpoint } from './s3/endpoint.ts';
import { apiBucketAlias } from '../runtime/endpoints.ts';
import { createGraphqlHandler } from './graphql/handler.ts';
import { createServer, serveMetrics } from './create-server.ts';
import { Gate } from './gate.ts';
import { ServerMetrics } from './metrics.ts';
import { SubscriptionBroker } from '../api/subscriptions/broker.ts';
import { attachPublishers } from '../api/subscriptions/publishing.ts';
import { createMediaEndpoint } from './media/endpoint.ts';
import { createRealtimeServer, type RealtimeServer } from './realtime/realtime-server.ts';
import { boundedSteps } from './shutdown.ts';
import { createOpsHandler } from './console/handler.ts';

export interface AppOptions {
  log: Logger;
  clock?: Clock;
  ids?: Ids;
  /** Tables to use instead of opening the configured store (tests, other adapters). */
  tables?: Tables;
  /** Delivers codes instead of the configured sender (tests capture them). */
  codeSender?: CodeSender;
}

export interface App {
  config: Config;
  installation: Installation;
  endpoints: Endpoints;
  server: Server;
  tables: Tables;
  /** Present when serving HTTPS/WSS. */
  tls?: TlsMaterial;
  /** The separate metrics port (`metrics.port`), when configured. */
  metricsUrl?: string;
  /** The AppSync real-time endpoint (/graphql/realtime). */
  realtime: Pick<RealtimeServer, 'stats'>;
  /** CalculateRankings on its schedule (src/runtime/rankings-schedule.ts). */
  rankings: System['rankings'];
  /** The alarms this server evaluates (also at /alarms). */
  alarms: System['alarms'];
  metrics: ServerMetrics;
  /**
   * Stops serving (new requests get 503), then closes sockets, functions, bus and store. Resolves
   * within `shutdownTimeoutMs` whatever the dependencies do; a step still running then is abandoned
   * (logged). Resolves `false` when something had to be abandoned.
   */
  close(): Promise<boolean>;
}

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });

/**
 * The embedded server: the system from runtime/ (store, services, identity, media, bus, functions)
 * behind one HTTP port (GraphQL, realtime WebSocket, identity, media, metrics).
 *
 * The HTTP listeners are attached before the port opens, so a request that arrives while the
 * system is still being assembled is answered (503, Retry-After) instead of left hanging.
 */
export async function startApp(config: Config, options: AppOptions): Promise<App> {
  const { log } = options;
  // Created first: the store the foundation opens is metered into it.
  const metrics = new ServerMetrics();
  const foundation = await openFoundation(config, { log, clock: options.clock, ids: options.ids, tables: options.tables, metrics });
  const { clock, installation, dataDir } = foundation;

  const gate = new Gate();
  let server: Server | undefined;
  let metricsServer: Server | undefined;
  try {
    // Amplify v6 always dials wss:// for subscriptions: with TLS every route is served over HTTPS on this one port.
    const tls = await loadTls(config);
    const serverOptions = { maxHeaderSize: 64 * 1024, keepAliveTimeout: 65_000 };
    server = tls ? createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }) : createHttpServer(serverOptions);
    server.on('request', gate.request);
    server.on('upgrade', gate.upgrade);
    await listen(server, config.port, config.host);
    const port = (server.address() as AddressInfo).port;
    const endpoints = endpointsFor(config, installation, port);
    writeRuntimeFile(dataDir, endpoints, port);

    if (config.metrics.port !== undefined) {
      const token = config.metrics.token;
      metricsServer = createHttpServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && path === '/metrics') void serveMetrics(req, res, metrics, token).catch(() => res.destroy());
        else res.writeHead(404).end();
      });
      await listen(metricsServer, config.metrics.port, config.host);
    }
    const metricsUrl = metricsServer ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${(metricsServer.address() as AddressInfo).port}/metrics` : undefined;

    const app = await serve(foundation, { config, log, clock, options, metrics, gate, server, metricsServer, endpoints, tls, metricsUrl });
    return app;
  } catch (err) {
    // A start-up check failed part-way (missing bucket, unreachable Redis): release the port, the store and the lock.
    server?.close();
    metricsServer?.close();
    removeRuntimeFile(dataDir);
    await foundation.release().catch(() => {});
    throw err;
  }
}

interface Parts {
  config: Config;
  log: Logger;
  clock: Clock;
  options: AppOptions;
  metrics: ServerMetrics;
  gate: Gate;
  server: Server;
  metricsServer: Server | undefined;
  endpoints: Endpoints;
  tls: TlsMaterial | undefined;
  metricsUrl: string | undefined;
}

/** Assembles the system on the listening server, opens the gate, returns the App. */
async function serve(foundation: Foundation, parts: Parts): Promise<App> {
  const { config, log, clock, options, metrics, gate, server, metricsServer, endpoints } = parts;
  const { installation, tables, dataDir } = foundation;

  // The closures below reach `broker` only once requests and presence run, i.e. after it exists.
  const system = await assembleSystem(foundation, {
    issuer: endpoints.issuer,
    publicUrl: () => endpoints.cognitoEndpoint.replace(/\/$/, ''),
    codeSender: options.codeSender,
    onPresenceChange: (change) => broker.publish('onPresenceChanged', change),
  });
  const { services, media, identity, verifier, identityPool, presence } = system;
  const mediaHandler = createMediaEndpoint({
    media,
    settings: config.media,
    clock,
    log: log.child({ component: 'media' }),
    observe: (behaviour, method, status, bytes) => metrics.observeMedia(behaviour, method, status, bytes),
  });

  let apiSchema: GraphQLSchema | undefined;
  const graphql = createGraphqlHandler({
    config,
    apiKey: installation.apiKey,
    verifier,
    ...services,
    presence,
    media: media.service,
    metrics,
    log: log.child({ component: 'graphql' }),
    extendSchema: (schema) => {
      apiSchema = schema;
      attachPublishers(schema, (mutation, payload) => broker.publishMutation(mutation, payload));
    },
  });
  // Real time: one broker per replica; the bus carries events between replicas (memory = this process only).
  const broker = new SubscriptionBroker({
    schema: apiSchema!,
    bus: system.bus,
    origin: system.replicaId,
    log: log.child({ component: 'realtime' }),
    onDispatch: (field, delivered, seconds) => {
      metrics.m.realtimeDelivered.inc({ field }, delivered);
      metrics.m.realtimeLatency.observe(seconds);
    },
  });
  await broker.start();

  const metricsAccess =
    metricsServer !== undefined
      ? ({ kind: 'off' } as const)
      : config.metrics.token !== undefined
        ? ({ kind: 'token', token: config.metrics.token } as const)
        : config.production
          ? ({ kind: 'off' } as const)
          : ({ kind: 'open' } as const);
  const handler = createServer({
    log,
    metrics,
    bodyLimit: config.limits.bodyBytes,
    // With an external user pool (identity.mode = external) this server serves no user-pool endpoint.
    cognito: identity
      ? createCognitoHandler({
          identity,
          log: log.child({ component: 'cognito' }),
          observe: (action, errorType, seconds) => metrics.observeIdentity(action, errorType, seconds),
          authorizeOperator: createOperatorAuth({
            accessKeyId: installation.adminAccessKeyId,
            secretAccessKey: installation.adminSecretAccessKey,
            region: config.region,
            maxSkewMs: config.admin.maxSkewSeconds * 1000,
            clock,
          }),
        })
      : undefined,
    identityPool: createIdentityPoolHandler({ pool: identityPool, log: log.child({ component: 'identity-pool' }) }),
    s3: createS3Endpoint({
      names: [config.media.bucket, apiBucketAlias(config)],
      region: config.region,
      clock,
      maxSkewMs: config.admin.maxSkewSeconds * 1000,
      credentials: async (accessKeyId, sessionToken) => {
        const found = identityPool.resolveCredentials(accessKeyId, sessionToken);
        if (found.ok) return { secretAccessKey: found.secretAccessKey, principal: found.holder };
        if (found.problem === 'unknown') return undefined;
        return found.problem === 'expired'
          ? { code: 'ExpiredToken', message: 'The provided token has expired.' }
          : { code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' };
      },
      blobs: media.blobs,
      media: media.service,
      multipart: media.multipart,
      hasProfile: async (sub) => (await services.users.getUser(sub)) !== null,
      invalidate: async (paths) => {
        await media.invalidations.create(paths);
      },
      log: log.child({ component: 's3' }),
      observe: (operation, status) => metrics.observeMedia('s3', operation, status, 0),
    }),
    graphql,
    wellKnown: async (poolId, doc) => (poolId === identityPool.poolId ? identityPool.wellKnown(doc) : identity?.wellKnown(poolId, doc)),
    metricsAccess,
    media: mediaHandler,
    // The console signs admins in with the embedded pool: with an external pool it is not served.
    ops: identity
      ? createOpsHandler({
          config,
          apiKey: installation.apiKey,
          verifier: identity,
          identity,
          services,
          tables,
          metrics,
          system,
          urlFor: (key) => media.urlFor(key),
          endpoints: () => endpoints,
          realtimeStats: () => metrics.realtimeStats?.() ?? { connections: 0, subscriptions: 0 },
          log: log.child({ component: 'console' }),
        })
      : undefined,
  });

  const realtime = createRealtimeServer({
    config,
    broker,
    apiKey: installation.apiKey,
    verifier,
    presence: { connected: (userId) => presence.connected(userId), disconnected: (userId) => presence.disconnected(userId) },
    log: log.child({ component: 'realtime' }),
  });
  // Sign-outs and revocations on any replica end the subscriptions their tokens hold here.
  const offRevocations = await system.revocations.subscribe((sub) => realtime.revoked(sub));
  metrics.realtimeStats = () => realtime.stats();
  await system.startFunctions();
  gate.open(handler, (req, socket, head) => realtime.handleUpgrade(req, socket, head));

  let closing: Promise<boolean> | undefined;
  return {
    config,
    installation,
    endpoints,
    server,
    tables,
    tls: parts.tls,
    metricsUrl: parts.metricsUrl,
    realtime,
    rankings: system.rankings,
    alarms: system.alarms,
    metrics,
    close() {
      closing ??= (async () => {
        gate.closing();
        removeRuntimeFile(dataDir);
        // Sockets first, then presence (its users' offline states still go out through the broker),
        // then the broker; the system closes the functions, the bus, media and the store.
        const clean = await boundedSteps(config.shutdownTimeoutMs, log, [
          ['revocations', () => offRevocations()],
          ['realtime sockets', () => realtime.close()],
          ['presence', () => presence.stop()],
          ['subscription broker', () => broker.close()],
          ['http server', (remainingMs) => closeHttp(server, remainingMs / 2)],
          ['metrics server', () => (metricsServer ? closeHttp(metricsServer, 0) : Promise.resolve())],
          ['media endpoint', () => mediaHandler.close()],
          ['system', () => system.close()],
        ]);
        foundation.releaseLock();
        return clean;
      })();
      return closing;
    },
  };
}

/** Stops accepting connections; requests in flight get up to `graceMs`, then every socket is cut. */
async function closeHttp(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((ok) => server.close(() => ok()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((ok) => (timer = setTimeout(ok, graceMs)))]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}
