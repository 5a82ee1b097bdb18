/**
 * Functions (seed: Lambda): one NodejsFunction per entry of src/lambda/, bundled here by the local
 * esbuild (no Docker) as ES modules for x86_64, so the bundles tests run on this machine are the
 * ones deployed. Each function reads its configuration from the BIILIVE_* variables the config
 * loader reads (src/config/load.ts), and gets only the tables and key prefixes it touches.
 * The triggers (stream, bucket notification, schedule) are wired in ./triggers.ts.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { envNames } from '../../src/config/load.ts';
import { INCOMING_PREFIX, PHOTOS_PREFIX, PROFILE_PREFIX, VIDEOS_PREFIX } from '../../src/domain/media/keys.ts';
import type { Tables } from './tables.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Lambda's current Node.js runtime; the bundles target the same version. */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;
const ESBUILD_TARGET = 'node24';
/** ESM bundles still meet CommonJS dependencies that call `require`. */
const REQUIRE_BANNER = "import { createRequire as __biiliveCreateRequire } from 'node:module'; const require = __biiliveCreateRequire(import.meta.url);";

export type FunctionKey = 'apiResolver' | 'updateUserCounters' | 'processProfilePhoto' | 'calculateRankings' | 'postConfirmation';

interface FunctionSpec {
  /** Construct id: the seed's function name where it has one. */
  id: string;
  /** File under src/lambda/. */
  entry: string;
  memoryMb: number;
  timeout: Duration;
  /** Table ids read and written / only read. */
  readWrite: string[];
  read?: string[];
  /** Native modules installed (npm, for linux-x64) beside the bundle instead of bundled. */
  nodeModules?: string[];
  reservedConcurrency?: number;
  /** Media key prefixes (src/domain/media/keys.ts) it writes, reads and deletes under. */
  media?: { put?: string[]; read?: string[]; delete?: string[] };
}

/** Every function, its sizing and its table access (from what its services touch). */
export const FUNCTIONS: Readonly<Record<FunctionKey, FunctionSpec>> = {
  apiResolver: {
    id: 'ApiResolver',
    entry: 'api-resolver.ts',
    memoryMb: 1024,
    // AppSync gives a resolver 30 s.
    timeout: Duration.seconds(25),
    readWrite: ['users', 'social', 'chats', 'nicknames', 'system', 'points', 'photos'],
    read: ['rankings'],
    media: {
      // requestUpload presigns PUTs with this role: photos into the quarantine, videos at their key.
      put: [INCOMING_PREFIX, VIDEOS_PREFIX],
      // deletePhoto: looks the photo up, deletes both variants and any upload still in quarantine.
      read: [PHOTOS_PREFIX],
      delete: [PHOTOS_PREFIX, `${INCOMING_PREFIX}${PHOTOS_PREFIX}`],
    },
  },
  updateUserCounters: {
    id: 'UpdateUserCounters',
    entry: 'update-user-counters.ts',
    memoryMb: 512,
    timeout: Duration.seconds(60),
    // Counters on users; the batch ledger on system.
    readWrite: ['users', 'system'],
  },
  processProfilePhoto: {
    id: 'ProcessProfilePhoto',
    entry: 'process-profile-photo.ts',
    // sharp decodes up to media.limitInputPixels (50 MP) per image.
    memoryMb: 1536,
    timeout: Duration.seconds(60),
    readWrite: ['users', 'photos'],
    // Reads and removes the upload; writes (and on failure removes) the variants.
    media: { read: [INCOMING_PREFIX], put: [PROFILE_PREFIX, PHOTOS_PREFIX], delete: [INCOMING_PREFIX, PROFILE_PREFIX, PHOTOS_PREFIX] },
    nodeModules: ['sharp'],
  },
  calculateRankings: {
    id: 'CalculateRankings',
    entry: 'calculate-rankings.ts',
    // One pass over 1M users inside Lambda's 15 minutes; more memory is also more CPU.
    memoryMb: 3008,
    timeout: Duration.minutes(15),
    readWrite: ['rankings'],
    read: ['users'],
    // One run at a time: a second concurrent run would only write a duplicate snapshot.
    reservedConcurrency: 1,
  },
  postConfirmation: {
    id: 'PostConfirmation',
    entry: 'post-confirmation.ts',
    memoryMb: 1024,
    // Cognito waits 5 s for a trigger.
    timeout: Duration.seconds(5),
    readWrite: ['users', 'nicknames'],
  },
};

/** The BIILIVE_* variable of a config path, as the config loader names it. */
export function configVariable(...path: string[]): string {
  for (const [name, p] of envNames()) if (p.join('.') === path.join('.')) return name;
  throw new Error(`no configuration variable for ${path.join('.')}`);
}

export interface FunctionsProps {
  tables: Tables;
  bucket: s3.IBucket;
  /** https://<CloudFront domain>. */
  cdnBaseUrl: string;
  /** deletePhoto invalidates the deleted photo's paths on it (they are cached for a year). */
  distribution: cloudfront.IDistribution;
  logRetention: logs.RetentionDays;
}

export class Functions extends Construct {
  readonly apiResolver: nodejs.NodejsFunction;
  readonly updateUserCounters: nodejs.NodejsFunction;
  readonly processProfilePhoto: nodejs.NodejsFunction;
  readonly calculateRankings: nodejs.NodejsFunction;
  readonly postConfirmation: nodejs.NodejsFunction;
  /** Every function by key (monitoring, outputs, tests). */
  readonly all: Readonly<Record<FunctionKey, nodejs.NodejsFunction>>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const environment = this.environment(props);
    const make = (key: FunctionKey) => this.function(FUNCTIONS[key], environment, props);
    this.all = {
      apiResolver: make('apiResolver'),
      updateUserCounters: make('updateUserCounters'),
      processProfilePhoto: make('processProfilePhoto'),
      calculateRankings: make('calculateRankings'),
      postConfirmation: make('postConfirmation'),
    };
    ({
      apiResolver: this.apiResolver,
      updateUserCounters: this.updateUserCounters,
      processProfilePhoto: this.processProfilePhoto,
      calculateRankings: this.calculateRankings,
      postConfirmation: this.postConfirmation,
    } = this.all);
    this.apiResolver.addEnvironment(configVariable('media', 'cloudfrontDistributionId'), props.distribution.distributionId);
    props.distribution.grantCreateInvalidation(this.apiResolver);
  }

  /** The configuration every function shares: store, media, every deployed table, region. */
  private environment(props: FunctionsProps): Record<string, string> {
    const env: Record<string, string> = {
      [configVariable('store')]: 'dynamodb',
      [configVariable('media', 'store')]: 's3',
      [configVariable('media', 'bucket')]: props.bucket.bucketName,
      [configVariable('media', 'cdnBaseUrl')]: props.cdnBaseUrl,
      [configVariable('region')]: Stack.of(this).region,
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const def of props.tables.definitions) env[configVariable('tables', def.id)] = props.tables.get(def.id).tableName;
    return env;
  }

  private function(spec: FunctionSpec, environment: Record<string, string>, props: FunctionsProps): nodejs.NodejsFunction {
    const fn = new nodejs.NodejsFunction(this, spec.id, {
      description: `BiiLive ${spec.id} (src/lambda/${spec.entry})`,
      entry: join(PROJECT_ROOT, 'src', 'lambda', spec.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: RUNTIME,
      architecture: lambda.Architecture.X86_64,
      memorySize: spec.memoryMb,
      timeout: spec.timeout,
      reservedConcurrentExecutions: spec.reservedConcurrency,
      tracing: lambda.Tracing.ACTIVE,
      environment,
      logGroup: new logs.LogGroup(this, `${spec.id}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: ESBUILD_TARGET,
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // The SDK version tested here, not whichever the runtime ships.
        bundleAwsSDK: true,
        externalModules: [],
        nodeModules: spec.nodeModules,
        forceDockerBundling: false,
        // Native packages for Lambda's platform whatever this machine is; from npm's cache when there.
        environment: { npm_config_os: 'linux', npm_config_cpu: 'x64', npm_config_libc: 'glibc', npm_config_prefer_offline: 'true' },
      },
    });
    for (const id of spec.readWrite) props.tables.get(id).grantReadWriteData(fn);
    for (const id of spec.read ?? []) props.tables.get(id).grantReadData(fn);
    for (const prefix of spec.media?.put ?? []) props.bucket.grantPut(fn, `${prefix}*`);
    for (const prefix of spec.media?.read ?? []) props.bucket.grantRead(fn, `${prefix}*`);
    for (const prefix of spec.media?.delete ?? []) props.bucket.grantDelete(fn, `${prefix}*`);
    return fn;
  }
}
