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
import type { TokenVerifier } from '../domain/identity/contracts.ts';
import type { Identity } from '../domain/identity/create-identity.ts';
import { loadInstallation, type Installation } from '../domain/installation.ts';
import { PresenceService, type PresenceChange } from '../domain/presence/presence-service.ts';
import { tableDefinitions } from '../domain/tables.ts';
import type { Bus } from '../ports/bus.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { randomIds, type Ids } from '../ports/ids.ts';
import type { Logger } from '../ports/logger.ts';
import type { Tables } from '../ports/tables.ts';
import { AlarmEvaluator } from './alarms.ts';
import { createCountersConsumer } from './counters-consumer.ts';
import { createMediaModule, type MediaModule } from './media.ts';
import { MediaActivity } from './media-activity.ts';
import { meterTables } from './metered-tables.ts';
import { MetricHistory } from './metric-history.ts';
import { SystemMetrics } from './metrics.ts';
import { RankingsUnavailableError, startRankingsSchedule, type EmbeddedRankings } from './rankings-schedule.ts';
import { createServices, type DomainServices } from './services.ts';
import { lockDataDir, prepareDataDir } from './data-dir.ts';
import { createRevocations, type Revocations } from './revocations.ts';
import { openStore } from './store.ts';
import { createUserPool } from './user-pool.ts';
import { createIdentityPool } from './identity-pool.ts';
import type { IdentityPool } from '../domain/identity-pool/identity-pool.ts';

export interface FoundationOptions {
  log: Logger;
  clock?: Clock;
  ids?: Ids;
  /** Tables to use instead of opening the configured store (tests, other adapters). */
  tables?: Tables;
  /** The server's metrics (default: a registry of its own, without process metrics). */
  metrics?: SystemMetrics;
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
  /** Everything below counts into it; the store is metered (src/runtime/metered-tables.ts). */
  metrics: SystemMetrics;
  /** When this process opened the system. */
  startedAt: Date;
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
  const metrics = options.metrics ?? new SystemMetrics({ defaults: false });
  const onThrottle = (operation: string, table?: string) => {
    if (table) metrics.m.storeThrottles.inc({ table, operation });
  };
  let raw: Tables | undefined;
  try {
    raw = options.tables ?? (await openStore(config, { clock, onThrottle }));
    if (options.tables) await raw.ensure(tableDefinitions(config.tables));
    metrics.initTables(tableDefinitions(config.tables).map((d) => d.name));
    const tables = meterTables(raw, metrics);
    const installation = await loadInstallation(tables, config.tables.system, ids, config.region, config);
    // Photo URLs are built per request from the keys; the base (the CDN, else this server's public
    // URL) is known once the server listens: assembleSystem points this at the media module.
    const mediaUrls: Foundation['mediaUrls'] = { urlFor: undefined };
    const services = createServices({ config, tables, clock, ids, mediaUrl: (key) => (mediaUrls.urlFor ? mediaUrls.urlFor(key) : key) });
    const opened = raw;
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
      metrics,
      startedAt: new Date(),
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
    await raw?.close().catch(() => {});
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
  /** Presence transitions (the realtime broker publishes them). */
  onPresenceChange: (change: PresenceChange) => void;
}

/** The whole system; `startFunctions()` once requests can be served, `close()` last. */
export interface System extends Foundation {
  media: MediaModule;
  /** The embedded user pool; undefined with identity.mode = external. */
  identity?: Identity;
  /** Verifies user-pool tokens (the embedded pool's, or the external pool's). */
  verifier: TokenVerifier;
  /** The Cognito identity pool: credentials for the S3-compatible media endpoint. */
  identityPool: IdentityPool;
  bus: Bus;
  /** Token revocations (GlobalSignOut, RevokeToken, DeleteUser) from every replica. */
  revocations: Revocations;
  presence: PresenceService;
  /** Unique per process start (presence leases, realtime event origin). */
  replicaId: string;
  /** CalculateRankings on its schedule, and on demand. */
  rankings: Pick<EmbeddedRankings, 'nextRun' | 'lastRun' | 'runNow'>;
  /** The alarms this server evaluates (started with the functions). */
  alarms: AlarmEvaluator;
  /** The console's graphs (started with the functions). */
  history: MetricHistory;
  /** ProcessProfilePhoto's recent outcomes. */
  mediaActivity: MediaActivity;
  /** Starts presence, the counters consumer, the rankings schedule, alarm evaluation and graph sampling. */
  startFunctions(): Promise<void>;
  /** Stops the functions, presence, the bus, the code sender, media and the store, then frees the data dir. */
  close(): Promise<void>;
}

export async function assembleSystem(foundation: Foundation, options: AssembleOptions): Promise<System> {
  const { config, log, clock, ids, tables, installation, services, metrics } = foundation;
  const mediaActivity = new MediaActivity(config.console.recentMediaEvents);
  const media = await createMediaModule({
    config,
    tables,
    clock,
    ids,
    log,
    publicUrl: options.publicUrl,
    onFailure: (reason) => metrics.m.photoFailures.inc({ reason }),
    onRun: (run) => {
      metrics.observeInvocation('ProcessProfilePhoto', run);
      mediaActivity.record(run);
    },
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
    const { identity, verifier } = await createUserPool({
      config,
      tables,
      clock,
      ids,
      log,
      installation,
      issuer: options.issuer,
      services,
      media: media.service,
      codeSender,
      onRevoked: (sub) => revocations.publish(sub),
      metrics,
    });
    const identityPool = await createIdentityPool({ config, tables, ids, clock, installation, verifier, publicUrl: options.publicUrl() });
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
    const iteratorAge = metrics.m.functionIteratorAge.labels('UpdateUserCounters');
    const counters = createCountersConsumer({
      tables,
      tableNames: config.tables,
      log: log.child({ component: 'counters' }),
      observe: (batch) => {
        iteratorAge.set(batch.iteratorAgeSeconds);
        if (batch.records > 0) metrics.observeInvocation('UpdateUserCounters', batch);
      },
    });
    let rankings: EmbeddedRankings | undefined;
    let started = false;
    const monitoring = config.monitoring;
    const alarms = new AlarmEvaluator({
      metrics,
      log: log.child({ component: 'alarms' }),
      periodSeconds: monitoring.alarmPeriodSeconds,
      webhook: monitoring.alarmWebhookUrl ? { url: monitoring.alarmWebhookUrl, timeoutMs: monitoring.alarmWebhookTimeoutMs } : undefined,
    });
    const history = new MetricHistory({ metrics, sampleSeconds: monitoring.sampleSeconds, historySamples: monitoring.historySamples, log });

    return {
      ...foundation,
      media,
      identity,
      verifier,
      identityPool,
      bus,
      revocations,
      presence,
      replicaId,
      rankings: {
        nextRun: () => rankings?.nextRun() ?? null,
        lastRun: () => rankings?.lastRun() ?? null,
        runNow: () => {
          if (!rankings) throw new RankingsUnavailableError('the server is still starting');
          return rankings.runNow();
        },
      },
      alarms,
      history,
      mediaActivity,
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
          metrics,
        });
        await alarms.start();
        await history.start();
      },
      async close() {
        if (started) {
          history.stop();
          await alarms.stop();
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
