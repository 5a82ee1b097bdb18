import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/** Flags shared by every command that needs the configuration. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON configuration file')
    .option('--data-dir <dir>', 'data directory (SQLite file, media, keys)')
    .option('--port <port>', 'HTTP port (0 = any free port)')
    .option('--host <host>', 'interface to listen on')
    .option('--region <region>', 'AWS region reported to clients and used in the user pool id')
    .option('--public-url <url>', 'base URL clients use, when behind a proxy')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--store <store>', 'sqlite (embedded) | dynamodb')
    .option('--dynamodb-endpoint <url>', 'DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, then AWS)')
    .option('--media <store>', 'fs (media folder in the data dir) | s3')
    .option('--s3-endpoint <url>', 'S3 endpoint (default: AWS_ENDPOINT_URL_S3, then AWS)')
    .option('--s3-path-style', 'path-style S3 URLs (MinIO, s3rver)')
    .option('--bucket <name>', 'media bucket')
    .option('--bus <bus>', 'memory (one process) | redis (several replicas)')
    .option('--redis-url <url>', 'Redis for the bus, e.g. redis://127.0.0.1:6379')
    .addOption(new Option('--tls', 'serve HTTPS/WSS (Amplify subscriptions need wss://); self-signed certificate kept in the data dir'))
    .option('--tls-cert <file>', 'PEM certificate (chain) to serve instead of the self-signed one (implies --tls)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--code-sender <sender>', 'how codes reach users: none (development outbox) | smtp | ses')
    .option('--metrics-port <port>', 'serve /metrics on this port instead of the main one')
    .addOption(new Option('--production', 'production mode: needs a code sender; no --auto-confirm, introspection or outbox (README "Production mode")'))
    .addOption(new Option('--auto-confirm', 'confirm sign-ups at once (development)'));
}

interface RawOptions {
  config?: string;
  dataDir?: string;
  port?: string;
  host?: string;
  region?: string;
  publicUrl?: string;
  logLevel?: string;
  store?: string;
  dynamodbEndpoint?: string;
  media?: string;
  s3Endpoint?: string;
  s3PathStyle?: boolean;
  bucket?: string;
  bus?: string;
  redisUrl?: string;
  production?: boolean;
  autoConfirm?: boolean;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  codeSender?: string;
  metricsPort?: string;
}

/** defaults < file < environment < flags. Throws ConfigError listing every bad key. */
export function configFrom(opts: RawOptions): Config {
  return loadConfig({
    file: opts.config,
    env: process.env,
    flags: {
      dataDir: opts.dataDir,
      port: opts.port,
      host: opts.host,
      region: opts.region,
      publicUrl: opts.publicUrl,
      logLevel: opts.logLevel,
      store: opts.store,
      dynamodb: { endpoint: opts.dynamodbEndpoint },
      media: { store: opts.media, s3Endpoint: opts.s3Endpoint, s3ForcePathStyle: opts.s3PathStyle, bucket: opts.bucket },
      bus: opts.bus,
      redisUrl: opts.redisUrl,
      production: opts.production,
      autoConfirm: opts.autoConfirm,
      tls: opts.tls,
      tlsCert: opts.tlsCert,
      tlsKey: opts.tlsKey,
      codes: { sender: opts.codeSender },
      metrics: { port: opts.metricsPort },
    },
  });
}
