import type { Config } from '../config/schema.ts';
import { systemClock } from '../ports/clock.ts';
import { randomIds } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import { loadInstallation, type Installation } from '../domain/installation.ts';
import { createIdentity, type Identity } from '../domain/identity/create-identity.ts';
import type { UsersService } from '../domain/users/users-service.ts';
import { openStore } from './store.ts';
import { endpointsFor, readRuntimeFile } from './endpoints.ts';
import { createServices, type DomainServices } from './services.ts';
import { resolve } from 'node:path';
import { silentLogger, type Logger } from '../ports/logger.ts';
import { outboxOnly } from '../ports/code-sender.ts';

/** The services a maintenance command needs, on the configured store, without the HTTP server. */
export interface CommandContext {
  config: Config;
  tables: Tables;
  installation: Installation;
  services: DomainServices;
  /** Shorthand for services.users. */
  users: UsersService;
  identity(): Promise<Identity>;
  close(): Promise<void>;
}

export async function openContext(config: Config, log: Logger = silentLogger): Promise<CommandContext> {
  const tables = await openStore(config, { clock: systemClock });
  const installation = await loadInstallation(tables, config.tables.system, randomIds, config.region, config);
  const live = readRuntimeFile(resolve(config.dataDir));
  const endpoints = live ?? endpointsFor(config, installation, config.port);
  const base = (config.media.cdnBaseUrl ?? endpoints.cognitoEndpoint).replace(/\/+$/, '');
  const services = createServices({ config, tables, clock: systemClock, ids: randomIds, mediaUrl: (key) => `${base}/${key}` });
  const issuer = endpoints.issuer;
  return {
    config,
    tables,
    installation,
    services,
    users: services.users,
    identity: () =>
      createIdentity({
        tables,
        tableNames: config.tables,
        clock: systemClock,
        ids: randomIds,
        log,
        installation,
        issuer,
        config,
        postConfirmation: (user) => services.users.createProfile(user),
        // Maintenance commands deliver no codes.
        codeSender: outboxOnly,
      }),
    close: () => tables.close(),
  };
}
