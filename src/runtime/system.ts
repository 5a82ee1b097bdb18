/**
 * The embedded and scaled-out system, built from config: the store, the installation's ids and
 * keys, the domain services, media, the user pool, the bus and presence, and the in-process
 * functions (UpdateUserCounters on the change log, CalculateRankings on its schedule). The server
 * adds HTTP and WebSocket on top; nothing else here knows about them.
 *
 * Two steps, because the user pool's issuer and the media URLs name the port the server got:
 * `openFoundation` (data directory checked and locked, store, installation) before listening,
 * `assembleSystem` after.
 */
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { openBus } from '../adapters/bus/index.ts';
import { openCodeSender } from '../adapters/codes/index.ts';
import type { CodeSender } from '../ports/code-sender.ts';
import { createIdentity, type Identity } from '../domain/identity/create-identity.ts';
import { loadInstallation, type Installation } from '../domain/installation.ts';
import type { PhotoFailure } from '../domain/media/photo-processor.ts';
import { PresenceService, type PresenceChange } from '../domain/presence/presence-service.ts';
import { tableDefinitions } from '../domain/tables.ts';
import type { Bus } from '../ports/bus.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { randomIds, type Ids } from '../ports/ids.ts';
import type { Logger } from '../ports/logger.ts';
import type { Tables } from '../ports/tables.ts';
import { createCountersConsumer } from './counters-consumer.ts';
import { createMediaModule, type MediaModule } from './media.ts';
import { startRankingsSchedule, type EmbeddedRankings } from './rankings-schedule.ts';
import { createServices, type DomainServices } from './services.ts';
import { lockDataDir, prepareDataDir } from './data-dir.ts';
import { createRevocations, type Revocations } from './revocations.ts';
import { openStore } from './store.ts';

export interface FoundationOptions {
  log: Logger;
  clock?: Clock;
  ids?: Ids;
  /** Tables to use instead of opening the configured store (tests, other adapters). */
  tables?: Tables;
  /** Counts store throttles (DynamoDB). */
  onThrottle?: (op: string) => void;
}

/** What exists before the server listens. */
export interface Foundation {
  config: Config;
  log: Logger;
  clock: Clock;
  ids: Ids;
  tables: Tables;
  installation: Installation;
  /** The data directory, checked and locked for this server. */
  dataDir: string;
  /** Whether the tables were handed in (then no SQLite file belongs to this system). */
  externalTables: boolean;
  services: DomainServices;
  /** Where the services' photo URLs come from; set when the system is assembled. */
  mediaUrls: { urlFor: ((key: string) => string) | undefined };
  /** Closes the store and releases the data directory's lock; idempotent. */
  release(): Promise<void>;
  /** Releases only the lock (a bounded shutdown that abandoned a step still frees the directory). */
  releaseLock(): void;
}

/**
 * Checks and locks the data directory (private to this user, one server at a time: else a
 * StartupError), then opens the store and loads the installation.
 */
export async function openFoundation(config: Config, options: FoundationOptions): Promise<Foundation> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const dataDir = resolve(config.dataDir);
  prepareDataDir(dataDir, config.tlsKey ? [resolve(config.tlsKey)] : []);
  const lock = lockDataDir(dataDir);
  let tables: Tables | undefined;
  try {
    tables = options.tables ?? (await openStore(config, { clock, onThrottle: options.onThrottle }));
    if (options.tables) await tables.ensure(tableDefinitions(config.tables));
    const installation = await loadInstallation(tables, config.tables.system, ids, config.region, config);
    // Photo URLs are built per request from the keys; the base (the CDN, else this server's public
    // URL) is known once the server listens: assembleSystem points this at the media module.
    const mediaUrls: Foundation['mediaUrls'] = { urlFor: undefined };
    const services = createServices({ config, tables, clock, ids, mediaUrl: (key) => (mediaUrls.urlFor ? mediaUrls.urlFor(key) : key) });
    const opened = tables;
    let released = false;
    return {
      config,
      log: options.log,
      clock,
      ids,
      dataDir,
      tables,
      installation,
      externalTables: options.tables !== undefined,
      services,
      mediaUrls,
      async release() {
        if (released) return;
        released = true;
        try {
          await opened.close();
        } finally {
          lock.release();
        }
      },
      releaseLock: () => lock.release(),
    };
  } catch (err) {
    await tables?.close().catch(() => {});
    lock.release();
    throw err;
  }
}

export interface AssembleOptions {
  /** Token issuer (`<public URL>/<userPoolId>`). */
  issuer: string;
  /** The server's public base URL: presigned upload URLs and the default CDN base. */
  publicUrl: () => string;
  /** Delivers codes instead of the configured sender (`codes.sender`); tests capture codes with it. */
  codeSender?: CodeSender;
  /** Counts refused photo uploads. */
  onPhotoFailure?: (reason: PhotoFailure) => void;
  /** Presence transitions (the realtime broker publishes them). */
  onPresenceChange: (change: PresenceChange) => void;
}

/** The whole system; `startFunctions()` once requests can be served, `close()` last. */
export interface System extends Foundation {
  media: MediaModule;
  identity: Identity;
  bus: Bus;
  /** Token revocations (GlobalSignOut, RevokeToken, DeleteUser) from every replica. */
  revocations: Revocations;
  presence: PresenceService;
  /** Unique per process start (presence leases, realtime event origin). */
  replicaId: string;
  /** CalculateRankings on its schedule. */
  rankings: Pick<EmbeddedRankings, 'nextRun'>;
  /** Starts presence, the counters consumer and the rankings schedule. */
  startFunctions(): Promise<void>;
  /** Stops the functions, presence, the bus, the code sender, media and the store, then frees the data dir. */
  close(): Promise<void>;
}

export async function assembleSystem(foundation: Foundation, options: AssembleOptions): Promise<System> {
  const { config, log, clock, ids, tables, installation, services } = foundation;
  const media = await createMediaModule({
    config,
    tables,
    clock,
    ids,
    log,
    publicUrl: options.publicUrl,
    onFailure: options.onPhotoFailure,
  });
  foundation.mediaUrls.urlFor = media.urlFor;
  const release: Array<() => Promise<void>> = [];
  try {
    await media.start();
    release.push(() => media.close());
    const codeSender = options.codeSender ?? openCodeSender(config);
    release.push(() => codeSender.close());
    const replicaId = ids.uuid();
    const bus = await openBus(config, log.child({ component: 'bus' }));
    release.push(() => bus.close());
    const revocations = createRevocations(bus, replicaId, log.child({ component: 'revocations' }));
    const identity = await createIdentity({
      tables,
      tableNames: config.tables,
      clock,
      ids,
      log: log.child({ component: 'identity' }),
      installation,
      issuer: options.issuer,
      config,
      postConfirmation: (user) => services.users.createProfile(user),
      codeSender,
      onRevoked: (sub) => revocations.publish(sub),
    });
    const presence = new PresenceService({
      tables,
      tableNames: config.tables,
      clock,
      log: log.child({ component: 'presence' }),
      replicaId,
      ttlMs: config.realtime.presenceTtlMs,
      heartbeatTtlMs: config.realtime.heartbeatTtlMs,
      onChange: options.onPresenceChange,
    });
    // UpdateUserCounters, fed from the social table's change log (the Lambda's event-source mapping on AWS).
    const counters = createCountersConsumer({ tables, tableNames: config.tables, log: log.child({ component: 'counters' }) });
    let rankings: EmbeddedRankings | undefined;
    let started = false;

    return {
      ...foundation,
      media,
      identity,
      bus,
      revocations,
      presence,
      replicaId,
      rankings: { nextRun: () => rankings?.nextRun() ?? null },
      async startFunctions() {
        if (started) return;
        started = true;
        await presence.start();
        counters.start();
        // CalculateRankings, daily: in a worker thread on the same SQLite file (EventBridge + Lambda on AWS).
        rankings = startRankingsSchedule({
          config,
          log: log.child({ component: 'rankings' }),
          sqliteFile: foundation.externalTables ? undefined : join(foundation.dataDir, 'biilive.sqlite'),
        });
      },
      async close() {
        if (started) {
          await presence.stop();
          await counters.stop();
          await rankings?.close();
        }
        await bus.close();
        await codeSender.close();
        await media.close();
        await foundation.release();
      },
    };
  } catch (err) {
    // A start-up check failed part-way (missing bucket, unreachable Redis): release what was opened.
    for (const r of release.reverse()) await r().catch(() => {});
    await foundation.release().catch(() => {});
    throw err;
  }
}
