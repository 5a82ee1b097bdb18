/**
 * The AWS-native runtime: what each Lambda runs on. The same services as `biilive serve`, over the
 * DynamoDB and S3 adapters, configured by the function's environment (the BIILIVE_* variables the
 * config loader reads; infra/ sets them from the same keys). Built once per container and reused by
 * every invocation; nothing here probes or creates tables (cold starts stay short, and a missing
 * table surfaces as the failing call's own error in the function's log).
 */
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createDynamoTables } from '../adapters/dynamodb/dynamodb-tables.ts';
import { S3Blobs } from '../adapters/blobs/s3-blobs.ts';
import { MediaService } from '../domain/media/media-service.ts';
import { PresenceService } from '../domain/presence/presence-service.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { randomIds, type Ids } from '../ports/ids.ts';
import type { Logger } from '../ports/logger.ts';
import type { Tables } from '../ports/tables.ts';
import type { Blobs } from '../ports/blobs.ts';
import { createInvalidation } from './aws/cloudfront-invalidation.ts';
import { createLogger } from './logger.ts';
import { createServices, type DomainServices } from './services.ts';

export interface LambdaSystem {
  config: Config;
  tables: Tables;
  blobs: Blobs;
  services: DomainServices;
  media: MediaService;
  /** Only `heartbeat` is used on AWS: connections are AppSync's, and nobody holds a replica lease. */
  presence: PresenceService;
  clock: Clock;
  ids: Ids;
  log: Logger;
  /** Absolute CDN URL of a public media key. */
  urlFor(key: string): string;
}

export interface LambdaSystemOverrides {
  /** Test seams: the function's environment, and a store or blob store to use instead of building one. */
  env?: NodeJS.ProcessEnv;
  tables?: Tables;
  blobs?: Blobs;
  clock?: Clock;
  log?: Logger;
}

/** Lambda's own variables mapped onto config keys when the BIILIVE_* ones are absent. */
function lambdaEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const biilive = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('BIILIVE_')));
  return {
    BIILIVE_STORE: 'dynamodb',
    BIILIVE_MEDIA_STORE: 's3',
    ...(env.AWS_REGION ? { BIILIVE_REGION: env.AWS_REGION } : {}),
    ...biilive,
  };
}

/** Builds a Lambda system; the entries cache it per container with `lambdaSystemOnce`. */
export function createLambdaSystem(overrides: LambdaSystemOverrides = {}): LambdaSystem {
  const env = overrides.env ?? process.env;
  const config = loadConfig({ env: lambdaEnv(env) });
  if (config.store !== 'dynamodb') throw new Error(`a Lambda runs on DynamoDB; BIILIVE_STORE is ${config.store}`);
  const clock = overrides.clock ?? systemClock;
  const ids = randomIds;
  const log = overrides.log ?? createLogger(config.logLevel);
  const tables =
    overrides.tables ?? createDynamoTables({ endpoint: config.dynamodb.endpoint, region: config.region, tablePrefix: config.dynamodb.tablePrefix });
  const m = config.media;
  const blobs =
    overrides.blobs ??
    new S3Blobs({ bucket: m.bucket, region: config.region, endpoint: m.s3Endpoint, forcePathStyle: m.s3ForcePathStyle, clock, log });
  const cdnBase = m.cdnBaseUrl?.replace(/\/+$/, '');
  const urlFor = (key: string) => {
    // Without a CDN URL every photo URL would point nowhere: a deployment error, said where it shows.
    if (!cdnBase) throw new Error('BIILIVE_MEDIA_CDN_BASE_URL is not set (the CloudFront domain)');
    return `${cdnBase}/${key}`;
  };
  const services = createServices({ config, tables, clock, ids, mediaUrl: urlFor });
  // A deleted photo must leave CloudFront too: its paths are cached for a year.
  const distributionId = m.cloudfrontDistributionId;
  const invalidations = distributionId ? { create: (paths: string[]) => createInvalidation({ distributionId, paths }) } : undefined;
  const media = new MediaService({ tables, tableNames: config.tables, blobs, clock, settings: m, limits: config.limits, urlFor, invalidations, log });
  const presence = new PresenceService({
    tables,
    tableNames: config.tables,
    clock,
    log,
    replicaId: `lambda-${ids.uuid()}`,
    ttlMs: config.realtime.presenceTtlMs,
    heartbeatTtlMs: config.realtime.heartbeatTtlMs,
    // AppSync publishes the heartbeat mutation's result itself (@aws_subscribe).
    onChange: () => {},
  });
  return { config, tables, blobs, services, media, presence, clock, ids, log, urlFor };
}

let cached: LambdaSystem | undefined;

/** One system per container: clients and their connection pools outlive the invocation. */
export function lambdaSystemOnce(): LambdaSystem {
  cached ??= createLambdaSystem();
  return cached;
}
