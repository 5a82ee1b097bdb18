import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../ports/logger.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { randomIds, type Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import { tableDefinitions } from '../domain/tables.ts';
import { loadInstallation, type Installation } from '../domain/installation.ts';
import { openStore } from './store.ts';
import { createCountersConsumer } from '../functions/update-user-counters/embedded.ts';
import { createIdentity } from '../domain/identity/create-identity.ts';
import { UsersService } from '../domain/users/users-service.ts';
import { SocialService } from '../domain/social/social-service.ts';
import { ChatService } from '../domain/chat/chat-service.ts';
import { createCognitoHandler } from './cognito/router.ts';
import { createGraphqlHandler } from './graphql/handler.ts';
import { createServer } from './create-server.ts';
import { ServerMetrics } from './metrics.ts';
import { endpointsFor, writeRuntimeFile, removeRuntimeFile, type Endpoints } from './endpoints.ts';

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
  const server = createHttpServer({ maxHeaderSize: 64 * 1024, keepAliveTimeout: 65_000 });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoints = endpointsFor(config, installation, port);

  const users = new UsersService({ tables, tableNames: config.tables, clock, limits: config.limits });
  const social = new SocialService({ tables, tableNames: config.tables, clock, limits: config.limits });
  const chat = new ChatService({ tables, tableNames: config.tables, clock, ids, limits: config.limits });
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

  server.on(
    'request',
    createServer({
      log,
      metrics,
      bodyLimit: config.limits.bodyBytes,
      cognito: createCognitoHandler({ identity, log: log.child({ component: 'cognito' }) }),
      graphql: createGraphqlHandler({
        config,
        apiKey: installation.apiKey,
        verifier: identity,
        users,
        social,
        chat,
        metrics,
        log: log.child({ component: 'graphql' }),
      }),
      wellKnown: (poolId, doc) => identity.wellKnown(poolId, doc),
      isReady: () => ready,
    }),
  );

  // UpdateUserCounters, fed from the social table's change log (the Lambda's event-source mapping on AWS).
  const counters = createCountersConsumer({ tables, tableNames: config.tables, log: log.child({ component: 'counters' }) });
  counters.start();

  writeRuntimeFile(dataDir, endpoints);
  ready = true;

  let closed = false;
  return {
    config,
    installation,
    endpoints,
    server,
    tables,
    async close() {
      if (closed) return;
      closed = true;
      ready = false;
      removeRuntimeFile(dataDir);
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await counters.stop();
      await tables.close();
    },
  };
}
