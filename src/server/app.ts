import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { GraphQLSchema } from 'graphql';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../ports/logger.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { randomIds, type Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import { tableDefinitions } from '../domain/tables.ts';
import { loadInstallation, type Installation } from '../domain/installation.ts';
import { openStore } from '../runtime/store.ts';
import { createCountersConsumer } from '../runtime/counters-consumer.ts';
import { createIdentity } from '../domain/identity/create-identity.ts';
import { UsersService } from '../domain/users/users-service.ts';
import { SocialService } from '../domain/social/social-service.ts';
import { ChatService } from '../domain/chat/chat-service.ts';
import { createCognitoHandler } from './cognito/router.ts';
import { createGraphqlHandler } from './graphql/handler.ts';
import { createServer } from './create-server.ts';
import { ServerMetrics } from './metrics.ts';
import { endpointsFor, writeRuntimeFile, removeRuntimeFile, type Endpoints } from '../runtime/endpoints.ts';
import { loadTls, type TlsMaterial } from '../runtime/tls.ts';
import { openBus } from '../adapters/bus/index.ts';
import { SubscriptionBroker } from '../api/subscriptions/broker.ts';
import { attachPublishers } from '../api/subscriptions/publishing.ts';
import { PresenceService } from '../domain/presence/presence-service.ts';
import { PointsService } from '../domain/points/points-service.ts';
import { RankingsService } from '../domain/rankings/rankings-service.ts';
import { startRankingsSchedule, type EmbeddedRankings } from '../runtime/rankings-schedule.ts';
import { createMediaModule } from '../runtime/media.ts';
import { createRealtimeServer, type RealtimeServer } from './realtime/realtime-server.ts';

export interface AppOptions {
  log: Logger;
  clock?: Clock;
  ids?: Ids;
  /** Tables to use instead of opening the configured store (tests, other adapters). */
  tables?: Tables;
  /** Receives confirmation codes (default: logged). */
  codeSink?: (delivery: { username: string; code: string; purpose: string; destination?: string }) => void;
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
  rankings: Pick<EmbeddedRankings, 'nextRun'>;
  close(): Promise<void>;
}

/** Composition root: opens the store, wires identity, API and HTTP, and listens. */
export async function startApp(config: Config, options: AppOptions): Promise<App> {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const tables = options.tables ?? (await openStore(config, { clock }));
  if (options.tables) await tables.ensure(tableDefinitions(config.tables));
  const installation = await loadInstallation(tables, config.tables.system, ids, config.region, config);

  let ready = false;
  const metrics = new ServerMetrics();
  // Amplify v6 always dials wss:// for subscriptions: with TLS every route is served over HTTPS on this one port.
  const tls = await loadTls(config);
  const serverOptions = { maxHeaderSize: 64 * 1024, keepAliveTimeout: 65_000 };
  const server: Server = tls ? createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key }) : createHttpServer(serverOptions);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoints = endpointsFor(config, installation, port);
  // A start-up check that fails after listen (missing bucket, unreachable Redis) must not leave the
  // process serving half a system: release the port and the store, then report.
  const abort = async (err: unknown): Promise<never> => {
    server.close();
    await tables.close().catch(() => {});
    throw err;
  };

  const users = new UsersService({ tables, tableNames: config.tables, clock, limits: config.limits });
  const social = new SocialService({ tables, tableNames: config.tables, clock, limits: config.limits });
  const chat = new ChatService({ tables, tableNames: config.tables, clock, ids, limits: config.limits });
  const points = new PointsService({ tables, tableNames: config.tables, clock, points: config.points });
  const rankings = new RankingsService({ tables, tableNames: config.tables, limits: config.limits });
  // Media: blob store (fs or S3), presigned uploads, ProcessProfilePhoto on upload events, CDN paths.
  const media = await createMediaModule({
    config,
    tables,
    clock,
    ids,
    log,
    publicUrl: () => endpoints.cognitoEndpoint.replace(/\/$/, ''),
    onFailure: (reason) => metrics.photoFailures.inc({ reason }),
    observe: (route, method, status) => metrics.observeMedia(route, method, status),
  });
  await media.start().catch(abort);
  const identity = await createIdentity({
    tables,
    tableNames: config.tables,
    clock,
    ids,
    log: log.child({ component: 'identity' }),
    installation,
    issuer: endpoints.issuer,
    config,
    postConfirmation: (user) => users.createProfile(user),
    codeSink:
      options.codeSink ??
      ((d) => log.info({ username: d.username, purpose: d.purpose, code: d.code }, 'confirmation code (embedded delivery)')),
  });

  // Real time: one broker per replica; the bus carries events between replicas (memory = this process only).
  // The closures below reach `broker` only once requests and presence run, i.e. after it exists.
  const replicaId = ids.uuid();
  const bus = await openBus(config, log.child({ component: 'bus' })).catch(abort);
  const presence = new PresenceService({
    tables,
    tableNames: config.tables,
    clock,
    log: log.child({ component: 'presence' }),
    replicaId,
    ttlMs: config.realtime.presenceTtlMs,
    heartbeatTtlMs: config.realtime.heartbeatTtlMs,
    onChange: (change) => broker.publish('onPresenceChanged', change),
  });
  let apiSchema: GraphQLSchema | undefined;
  const graphql = createGraphqlHandler({
    config,
    apiKey: installation.apiKey,
    verifier: identity,
    users,
    social,
    chat,
    presence,
    points,
    rankings,
    media: media.service,
    metrics,
    log: log.child({ component: 'graphql' }),
    extendSchema: (schema) => {
      apiSchema = schema;
      attachPublishers(schema, (mutation, payload) => broker.publishMutation(mutation, payload));
    },
  });
  const broker = new SubscriptionBroker({ schema: apiSchema!, bus, origin: replicaId, log: log.child({ component: 'realtime' }) });
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
      media: media.handler,
    }),
  );

  await presence.start();
  const realtime = createRealtimeServer({
    config,
    broker,
    apiKey: installation.apiKey,
    verifier: identity,
    presence: { connected: (userId) => presence.connected(userId), disconnected: (userId) => presence.disconnected(userId) },
    log: log.child({ component: 'realtime' }),
  });
  server.on('upgrade', (req, socket, head) => realtime.handleUpgrade(req, socket, head));

  // UpdateUserCounters, fed from the social table's change log (the Lambda's event-source mapping on AWS).
  const counters = createCountersConsumer({ tables, tableNames: config.tables, log: log.child({ component: 'counters' }) });
  counters.start();

  // CalculateRankings, daily: in a worker thread on the same SQLite file (EventBridge + Lambda on AWS).
  const rankingsSchedule = startRankingsSchedule({
    config,
    log: log.child({ component: 'rankings' }),
    sqliteFile: options.tables ? undefined : join(dataDir, 'biilive.sqlite'),
  });

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
    rankings: rankingsSchedule,
    async close() {
      if (closed) return;
      closed = true;
      ready = false;
      removeRuntimeFile(dataDir);
      // Sockets first (their users' presence is released), then presence, then the bus.
      await realtime.close();
      await presence.stop();
      await broker.close();
      await bus.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await counters.stop();
      await rankingsSchedule.close();
      await media.close();
      await tables.close();
    },
  };
}
