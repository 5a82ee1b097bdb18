import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { GraphQLSchema } from 'graphql';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../ports/logger.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import type { Installation } from '../domain/installation.ts';
import type { CodeSender } from '../ports/code-sender.ts';
import { assembleSystem, openFoundation, type System } from '../runtime/system.ts';
import { endpointsFor, writeRuntimeFile, removeRuntimeFile, type Endpoints } from '../runtime/endpoints.ts';
import { loadTls, type TlsMaterial } from '../runtime/tls.ts';
import { createCognitoHandler } from './cognito/router.ts';
import { createGraphqlHandler } from './graphql/handler.ts';
import { createServer } from './create-server.ts';
import { ServerMetrics } from './metrics.ts';
import { SubscriptionBroker } from '../api/subscriptions/broker.ts';
import { attachPublishers } from '../api/subscriptions/publishing.ts';
import { createMediaEndpoint } from './media/endpoint.ts';
import { createRealtimeServer, type RealtimeServer } from './realtime/realtime-server.ts';

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
  /** The AppSync real-time endpoint (/graphql/realtime). */
  realtime: Pick<RealtimeServer, 'stats'>;
  /** CalculateRankings on its schedule (src/runtime/rankings-schedule.ts). */
  rankings: System['rankings'];
  close(): Promise<void>;
}

/**
 * The embedded server: the system from runtime/ (store, services, identity, media, bus, functions)
 * behind one HTTP port (GraphQL, realtime WebSocket, identity, media, metrics).
 */
export async function startApp(config: Config, options: AppOptions): Promise<App> {
  const { log } = options;
  const dataDir = resolve(config.dataDir);
  const foundation = await openFoundation(config, { log, clock: options.clock, ids: options.ids, tables: options.tables });
  const { clock, tables, installation } = foundation;

  let ready = false;
  const metrics = new ServerMetrics();
  // Amplify v6 always dials wss:// for subscriptions: with TLS every route is served over HTTPS on this one port.
  const tls = await loadTls(config).catch(async (err: unknown) => {
    await tables.close().catch(() => {});
    throw err;
  });
  const serverOptions = { maxHeaderSize: 64 * 1024, keepAliveTimeout: 65_000 };
  const server: Server = tls ? createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }) : createHttpServer(serverOptions);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => ok());
  }).catch(async (err: unknown) => {
    await tables.close().catch(() => {});
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const endpoints = endpointsFor(config, installation, port);

  // The closures below reach `broker` only once requests and presence run, i.e. after it exists.
  // A start-up check that fails (missing bucket, unreachable Redis) must not leave the process
  // serving half a system: assembleSystem releases what it opened, and the port is released here.
  const system = await assembleSystem(foundation, {
    issuer: endpoints.issuer,
    publicUrl: () => endpoints.cognitoEndpoint.replace(/\/$/, ''),
    codeSender: options.codeSender,
    onPhotoFailure: (reason) => metrics.photoFailures.inc({ reason }),
    onPresenceChange: (change) => broker.publish('onPresenceChanged', change),
  }).catch((err: unknown) => {
    server.close();
    throw err;
  });
  const { services, media, identity, presence } = system;
  const mediaHandler = createMediaEndpoint({
    media,
    settings: config.media,
    clock,
    log: log.child({ component: 'media' }),
    observe: (route, method, status) => metrics.observeMedia(route, method, status),
  });

  let apiSchema: GraphQLSchema | undefined;
  const graphql = createGraphqlHandler({
    config,
    apiKey: installation.apiKey,
    verifier: identity,
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
  const broker = new SubscriptionBroker({ schema: apiSchema!, bus: system.bus, origin: system.replicaId, log: log.child({ component: 'realtime' }) });
  await broker.start();

  server.on(
    'request',
    createServer({
      log,
      metrics,
      bodyLimit: config.limits.bodyBytes,
      cognito: createCognitoHandler({ identity, log: log.child({ component: 'cognito' }) }),
      graphql,
      wellKnown: (poolId, doc) => identity.wellKnown(poolId, doc),
      isReady: () => ready,
      media: mediaHandler,
    }),
  );

  const realtime = createRealtimeServer({
    config,
    broker,
    apiKey: installation.apiKey,
    verifier: identity,
    presence: { connected: (userId) => presence.connected(userId), disconnected: (userId) => presence.disconnected(userId) },
    log: log.child({ component: 'realtime' }),
  });
  server.on('upgrade', (req, socket, head) => realtime.handleUpgrade(req, socket, head));
  await system.startFunctions();

  writeRuntimeFile(dataDir, endpoints);
  ready = true;

  let closed = false;
  return {
    config,
    installation,
    endpoints,
    server,
    tables,
    tls,
    realtime,
    rankings: system.rankings,
    async close() {
      if (closed) return;
      closed = true;
      ready = false;
      removeRuntimeFile(dataDir);
      // Sockets first, then presence (its users' offline states still go out through the broker),
      // then the broker; the system closes the functions, the bus, media and the store.
      await realtime.close();
      await presence.stop();
      await broker.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await mediaHandler.close();
      await system.close();
    },
  };
}
