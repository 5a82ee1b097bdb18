import { Cron } from 'croner';
import { z } from 'zod';

/**
 * The configuration schema: every tunable, with its default. Built once at start-up by
 * `loadConfig` (defaults < file < environment < flags), frozen and passed down, never imported
 * as a singleton.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const isCronPattern = (pattern: string) => {
  try {
    new Cron(pattern, { timezone: 'UTC' }); // no callback: parses only, schedules nothing
    return true;
  } catch {
    return false;
  }
};
const bool = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());
const MB = 1024 * 1024;
/** A list of media types; from the environment, comma-separated. */
const mediaTypes = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : v),
  z.array(z.string().regex(/^[a-z0-9][\w.+-]*\/[\w.+-]+$/, 'must be a media type such as image/jpeg')).min(1),
);

export const configSchema = z
  .object({
    /** HTTP port of the one server (GraphQL, realtime, identity, media, metrics). 0 = any free port. */
    port: int(0, 65535).default(4000),
    /** Interface to listen on; 127.0.0.1 keeps the embedded server private to this machine. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Holds the SQLite file and media folder in embedded mode. */
    dataDir: z.string().min(1).default('./data'),
    /** AWS region reported to clients; also the prefix of the user pool id (Amplify parses it). */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-3').default('eu-west-3'),
    /** Public base URL clients use (behind a proxy); default http://host:port. */
    publicUrl: z.string().url().optional(),
    /** Token issuer; default `<publicUrl>/<userPoolId>` (cognito-local style, so JWKS discovery works). */
    issuer: z.string().url().optional(),
    /**
     * Production mode (README "Production mode"): refuses autoConfirm, requires a code sender,
     * introspection off, /metrics only on metrics.port or behind metrics.token, no code outbox.
     */
    production: bool.default(false),
    /** Development: confirm sign-ups immediately. */
    autoConfirm: bool.default(false),
    /**
     * Longest a shutdown (SIGTERM, SIGINT) may take, whatever the state of the dependencies: steps
     * still running then are abandoned and the process exits.
     */
    shutdownTimeoutMs: int(100, 600_000).default(10_000),
    /** pino level of the JSON logs on stderr. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Tables backend: sqlite (embedded, one file in dataDir) or dynamodb (any DynamoDB API). */
    store: z.enum(['sqlite', 'dynamodb']).default('sqlite'),
    sqlite: z
      .object({
        /** FULL: acknowledged writes survive power loss; NORMAL: survive process crashes only. */
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        /** How long a write waits for another process's write lock before failing. */
        busyTimeoutMs: int(0, 60_000).default(5000),
      })
      .prefault({}),
    dynamodb: z
      .object({
        /** Endpoint override (DynamoDB Local, Alternator); default from AWS_ENDPOINT_URL_DYNAMODB or AWS. */
        endpoint: z.string().url().optional(),
        /**
         * Prepended to every DynamoDB table name (per-environment names, test isolation on one
         * endpoint); the SQLite store ignores it.
         */
        tablePrefix: z.string().regex(/^[A-Za-z0-9_.-]{0,200}$/, 'letters, digits and _ . - only (DynamoDB table name characters)').default(''),
      })
      .prefault({}),
    tables: z
      .object({
        /** Seed table of profiles. */
        users: z.string().min(3).default('BIILIVEDB-USERS'),
        /** Seed table of follow edges (stream on). */
        social: z.string().min(3).default('BIIHLIVE-SOCIAL-V2'),
        /** Seed table of 1:1 messages, inbox summaries. */
        chats: z.string().min(3).default('BIILIVEDB-CHATS'),
        /** Nickname uniqueness claims. */
        nicknames: z.string().min(3).default('BIILIVE-NICKNAMES'),
        /** The Cognito-compatible user pool's state. */
        identity: z.string().min(3).default('BIILIVE-IDENTITY'),
        /** Installation ids, keys, checkpoints, leases, presence. */
        system: z.string().min(3).default('BIILIVE-SYSTEM'),
        /** Added by media: gallery photo records (src/domain/tables.ts). */
        photos: z.string().min(3).default('BIILIVE-PHOTOS'),
        /** Points ledger: one item per award (idempotency key). */
        points: z.string().min(3).default('BIILIVE-POINTS-LEDGER'),
        /** Dated ranking snapshots and the current-snapshot pointer. */
        rankings: z.string().min(3).default('BIILIVE-RANKINGS'),
      })
      .prefault({}),
    /** Generated on first start and persisted when not given. */
    userPoolId: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d_[a-zA-Z0-9]+$/, 'must look like <region>_<suffix>')
      .optional(),
    /** App client id; generated on first start and persisted when not given. */
    userPoolClientId: z.string().regex(/^[a-z0-9]{20,128}$/, 'must be lowercase alphanumerics').optional(),
    /** AppSync-style API key for public reads; generated on first start and persisted when not given. */
    apiKey: z.string().regex(/^da2-[a-z0-9]{26}$/, 'must look like da2-<26 lowercase alphanumerics>').optional(),
    /**
     * Where user-pool tokens come from. 'embedded': this server is the user pool (Cognito API on
     * POST /, JWKS). 'external': an existing Cognito user pool (the seed's) issues them; this server
     * serves no user-pool endpoint, accepts that pool's ID and access tokens (JWKS fetched and cached
     * with aws-jwt-verify) and creates a profile on a user's first authenticated request.
     */
    identity: z
      .object({
        mode: z.enum(['embedded', 'external']).default('embedded'),
        /** External: the pool's id; its issuer is https://cognito-idp.<region>.amazonaws.com/<id>. */
        userPoolId: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d_[a-zA-Z0-9]+$/, 'must look like <region>_<suffix>').optional(),
        /** External: the issuer URL instead (any Cognito-compatible pool); JWKS at <issuer>/.well-known/jwks.json. */
        issuer: z.string().url().optional(),
        /** External: app client ids whose tokens are accepted (ID tokens' aud, access tokens' client_id). In the environment: comma-separated. */
        clientIds: z
          .preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string().regex(/^[\w+]{1,128}$/)).min(1))
          .optional(),
        /** External: PEM file of the CA that signs the issuer's certificate, when it is a private one. */
        caFile: z.string().min(1).optional(),
        /** External: how many users with a known profile are remembered, so a request checks the store only on a miss. */
        knownProfilesCacheSize: int(0, 10_000_000).default(100_000),
      })
      .prefault({}),
    /**
     * The Cognito identity pool (GetId, GetCredentialsForIdentity, GetOpenIdToken on POST /):
     * user-pool ID tokens in, short-lived credentials for the S3-compatible media endpoint out.
     */
    identityPool: z
      .object({
        /** `<region>:<uuid>`; generated on first start and persisted when not given. */
        id: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d:[0-9a-f-]{36}$/, 'must look like <region>:<uuid>').optional(),
        /** Guest (unauthenticated) identities, with read-only credentials (Cognito: off unless enabled). */
        allowUnauthenticated: bool.default(false),
        /** Lifetime of the credentials, minutes (Cognito: 60). */
        credentialsMinutes: int(15, 720).default(60),
      })
      .prefault({}),
    /**
     * Operator credentials for the Cognito admin API (Admin*, ListUsers: SigV4-signed like AWS,
     * service cognito-idp). Generated on first start and persisted when not given; `biilive info
     * --admin-credentials` prints them.
     */
    admin: z
      .object({
        /** Access key id the admin API accepts (AWS shape: letters and digits). */
        accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'must be 16-128 upper-case letters and digits').optional(),
        /** Its secret access key. */
        secretAccessKey: z.string().min(16).max(128).optional(),
        /** Largest clock difference accepted between a SigV4 request's X-Amz-Date and the server, seconds (AWS: 900). */
        maxSkewSeconds: int(60, 3600).default(900),
      })
      .prefault({}),
    /** Delivery of sign-up, password-reset and verification codes (e-mail). */
    codes: z
      .object({
        /**
         * none: development only, codes wait in the outbox (`biilive users codes`); smtp: any SMTP
         * server (nodemailer); ses: Amazon SES (API v2, the AWS SDK's credential chain).
         */
        sender: z.enum(['none', 'smtp', 'ses']).default('none'),
        /** From address of the code e-mails; required with smtp and ses. */
        from: z.email('must be an e-mail address').optional(),
        /** SMTP server: smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://... (TLS). */
        smtpUrl: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL').optional(),
        /** Longest one delivery may take (connect, greeting, send), ms; past it the action fails with CodeDeliveryFailureException. */
        timeoutMs: int(500, 120_000).default(10_000),
        /** SES region; default `region`. */
        sesRegion: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region').optional(),
        /** SES endpoint override; default AWS (or AWS_ENDPOINT_URL_SESV2). */
        sesEndpoint: z.string().url().optional(),
        /** Subject line of the code e-mails. */
        subject: z.string().min(1).max(200).default('Your BiiLive verification code'),
      })
      .prefault({}),
    /** Prometheus metrics (/metrics). */
    metrics: z
      .object({
        /** Serve /metrics on this port (on `host`) instead of the main one; 0 = any free port. */
        port: int(0, 65535).optional(),
        /** When set, /metrics requires `Authorization: Bearer <token>` (at least 16 characters). */
        token: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
      })
      .prefault({}),
    tokens: z
      .object({
        /** Access token lifetime (Cognito default 60, range 5..1440). */
        accessTokenMinutes: int(5, 1440).default(60),
        /** ID token lifetime (Cognito default 60). */
        idTokenMinutes: int(5, 1440).default(60),
        /** Refresh token lifetime (Cognito default 30 days). */
        refreshTokenDays: int(1, 3650).default(30),
      })
      .prefault({}),
    auth: z
      .object({
        /** Failed sign-ins before the lock starts (Cognito: 5). */
        lockoutThreshold: int(1, 100).default(5),
        /** Cap of the doubling lock, seconds (Cognito: about 15 minutes). */
        lockoutMaxSeconds: int(1, 86_400).default(900),
        /** Validity of sign-up and reset codes (Cognito: 24 h). */
        confirmationCodeHours: int(1, 168).default(24),
        /** Minimum password length of the default policy (Cognito: 8). */
        passwordMinLength: int(6, 99).default(8),
        /** How long a sign-in challenge (SRP PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED) can be answered (Cognito's AuthSessionValidity: 3, range 3..15). */
        challengeSessionMinutes: int(3, 15).default(3),
        /** Validity of a temporary password set by AdminCreateUser (Cognito's TemporaryPasswordValidityDays: 7). */
        temporaryPasswordDays: int(1, 365).default(7),
      })
      .prefault({}),
    points: z
      .object({
        /** Largest single award (awards are positive integers; points are never deducted). */
        maxAward: int(1, 1_000_000_000).default(10_000),
        /** Most puntos a user can hold; awards past it are refused. GraphQL's Int is 32-bit: at most 2^31-1. */
        maxPuntos: int(1, 2_147_483_647).default(2_147_483_647),
        /**
         * Level thresholds: nivel n is reached at levels[n-1] puntos. Starts at 0, strictly increasing.
         * In the environment: comma-separated (BIILIVE_POINTS_LEVELS=0,100,500).
         */
        levels: z
          .preprocess(
            (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
            z.array(z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).min(1).max(1000),
          )
          .refine((l) => l[0] === 0, 'must start at 0')
          .refine((l) => l.every((v, i) => i === 0 || v > l[i - 1]), 'must be strictly increasing')
          .default([0, 100, 500, 1500, 5000, 15_000, 50_000, 150_000, 500_000, 1_500_000]),
      })
      .prefault({}),
    rankings: z
      .object({
        /** Run CalculateRankings on the schedule in embedded mode. */
        enabled: bool.default(true),
        /** When, as a 5- or 6-field cron pattern, evaluated in UTC (croner syntax). Default: daily 00:00 UTC. */
        cron: z.string().min(1).max(200).refine(isCronPattern, 'must be a cron pattern such as "0 0 * * *"').default('0 0 * * *'),
        /** Complete snapshots older than this many days are deleted (the current one never is). */
        retentionDays: int(1, 3650).default(7),
        /** Users read per scan page by CalculateRankings. */
        scanPageSize: int(10, 10_000).default(1000),
      })
      .prefault({}),
    limits: z
      .object({
        /** Largest accepted HTTP request body, bytes (AppSync's request limit is 1 MB). */
        bodyBytes: int(1024, 64 * 1024 * 1024).default(1_048_576),
        /** Deepest selection accepted (GraphQL Armor default 6). */
        maxDepth: int(1, 100).default(6),
        /** Most aliases per document (GraphQL Armor default 15). */
        maxAliases: int(0, 1000).default(15),
        /** Most directives per document (GraphQL Armor default 50). */
        maxDirectives: int(0, 1000).default(50),
        /** Most lexical tokens per document, enforced while parsing (GraphQL Armor default 1000). */
        maxTokens: int(10, 100_000).default(1000),
        /** Cost limit per document, GraphQL Armor's model (objects 2, scalars 1, depth factor 1.5). */
        maxCost: int(1, 1_000_000).default(5000),
        /** Largest `limit` a list query accepts. */
        pageSizeMax: int(1, 1000).default(100),
        /** `limit` of a list query that gives none. */
        pageSizeDefault: int(1, 1000).default(20),
        /** Longest nickname (3.. characters of A-Z a-z 0-9 . _). */
        nicknameMaxLength: int(3, 100).default(30),
        /** Longest profile description. */
        descripcionMaxLength: int(1, 10_000).default(500),
        /** Longest nombreCompleto. */
        nameMaxLength: int(1, 1000).default(100),
        /** Longest ciudad / pais. */
        placeMaxLength: int(1, 1000).default(80),
        /** Longest chat message, in characters (code points). */
        messageMaxLength: int(1, 100_000).default(2000),
        /** Parsed and validated GraphQL documents kept (LRU by query text). */
        parsedDocumentCacheSize: int(0, 100_000).default(1000),
      })
      .prefault({}),
    /**
     * Media (src/domain/media): bucket, upload rules per kind, image variants, CDN cache. Flat keys so
     * each one has an environment variable (BIILIVE_MEDIA_<KEY>); lists are comma-separated there.
     * The URL-signing secret is not configuration: it is generated per installation (system table).
     */
    media: z
      .object({
        /** 'fs': `<dataDir>/media/<bucket>/`, uploads verified by this server; 's3': any S3 API. */
        store: z.enum(['fs', 's3']).default('fs'),
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
          .default('biihlivemedia'),
        /** S3 endpoint override (MinIO, ...); default AWS (or AWS_ENDPOINT_URL_S3). */
        s3Endpoint: z.string().url().optional(),
        s3ForcePathStyle: bool.default(false),
        /**
         * A dotted alias the S3-compatible endpoint also answers to for this bucket (default
         * `<bucket>.local`): Amplify Storage addresses a bucket whose name has a dot path-style
         * (`https://<customEndpoint>/<bucket>/<key>`), which works without any DNS set-up.
         */
        apiBucketAlias: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$/, 'must be a bucket name with a dot')
          .optional(),
        /** Smallest multipart part but the last, bytes (S3: 5 MiB). */
        multipartMinPartBytes: int(1, 5 * 1024 * MB).default(5 * MB),
        /** Multipart uploads left unfinished this long are aborted (their parts deleted) when their owner starts another. */
        multipartUploadTtlHours: int(1, 720).default(24),
        /** Base URL of the CDN paths in stored/served URLs; default this server's public URL. */
        cdnBaseUrl: z.string().url().optional(),
        /** AWS-native: the CloudFront distribution to invalidate when a photo is deleted (set by infra/). */
        cloudfrontDistributionId: z.string().regex(/^[A-Z0-9]{1,64}$/, 'must be a CloudFront distribution id').optional(),
        uploadUrlTtlSeconds: int(10, 604_800).default(300),
        profilePhotoTypes: mediaTypes.default(['image/jpeg', 'image/png', 'image/webp']),
        photoTypes: mediaTypes.default(['image/jpeg', 'image/png', 'image/webp']),
        videoTypes: mediaTypes.default(['video/mp4']),
        profilePhotoMaxBytes: int(1, 100 * MB).default(10 * MB),
        photoMaxBytes: int(1, 200 * MB).default(20 * MB),
        videoMaxBytes: int(1, 5 * 1024 * MB).default(500 * MB),
        /** Longest side of the profile photo and gallery photo variants, px (never enlarged). */
        profilePhotoSize: int(16, 8192).default(1080),
        photoSize: int(16, 8192).default(1080),
        /** Square thumbnails (cover crop), px. */
        profileThumbnailSize: int(16, 2048).default(200),
        photoThumbnailSize: int(16, 2048).default(200),
        /** Decoded pixels allowed per input image (sharp's default is 268 MP; spec: about 50 MP). */
        limitInputPixels: int(1, 268_402_689).default(50_000_000),
        jpegQuality: int(1, 100).default(82),
        /** Images processed at once (memory and CPU bound). */
        imageConcurrency: int(1, 64).default(2),
        /** In-memory CDN cache of hot objects, bytes in total and per object. */
        cdnCacheMaxBytes: int(0, 16 * 1024 * MB).default(64 * MB),
        cdnCacheObjectMaxBytes: int(0, 1024 * MB).default(2 * MB),
        /** How often each server reads new CDN invalidations from the system table, ms. */
        invalidationPollMs: int(50, 60_000).default(1000),
      })
      .prefault({}),
    /** AppSync real-time endpoint (/graphql/realtime) limits; AppSync's values where it has them. */
    realtime: z
      .object({
        /** Sent in connection_ack: clients drop the socket after this long without `ka` (AppSync: 300000). */
        connectionTimeoutMs: int(10_000, 3_600_000).default(300_000),
        /** `ka` cadence and WebSocket ping interval; clients expect one at least every 60 s. */
        keepAliveMs: int(10, 60_000).default(60_000),
        /** Time a client has to send connection_init after the upgrade. */
        initTimeoutMs: int(10, 600_000).default(15_000),
        /** A connection from which nothing (no frame, no pong) arrives for this long is dead and closed. */
        idleTimeoutMs: int(20, 3_600_000).default(150_000),
        /** AppSync closes connections after 24 h. */
        maxConnectionMs: int(1000, 7 * 86_400_000).default(86_400_000),
        /** AppSync: 100 subscriptions per connection. */
        maxSubscriptionsPerConnection: int(1, 10_000).default(100),
        /** Largest frame accepted and largest subscription payload sent (AppSync: 240 KB). */
        maxPayloadBytes: int(1024, 16 * 1024 * 1024).default(240 * 1024),
        /** A client that does not read and lets this much pile up is closed (slow consumer). */
        maxBufferedBytes: int(64 * 1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
        /** A replica's presence lease: refreshed every third of it; a crashed replica's users go offline after it. */
        presenceTtlMs: int(30, 3_600_000).default(90_000),
        /** A `heartbeat` mutation keeps its user online this long without a connection. */
        heartbeatTtlMs: int(30, 86_400_000).default(300_000),
      })
      .prefault({}),
    /** The server's own monitoring (src/domain/monitoring): graphs for the console, alarms it evaluates itself. */
    monitoring: z
      .object({
        /** How often the console's graphs sample the metrics, seconds. */
        sampleSeconds: int(1, 3600).default(10),
        /** Samples kept per graph (360 x 10 s = the last hour). */
        historySamples: int(10, 100_000).default(360),
        /** Period of every alarm the server evaluates, seconds; default each alarm's own (300 s, as on CloudWatch). Shorter for demos and tests. */
        alarmPeriodSeconds: int(1, 86_400).optional(),
        /** Receives a JSON POST on every alarm state change (OK / ALARM / INSUFFICIENT_DATA); none when unset. */
        alarmWebhookUrl: z.string().url().optional(),
        /** How long an alarm webhook call may take, ms. */
        alarmWebhookTimeoutMs: int(100, 60_000).default(5000),
      })
      .prefault({}),
    /** The web console at /console (members of the `admin` group, signed in with the user pool). */
    console: z
      .object({
        /** Serve /console and its API. */
        enabled: bool.default(true),
        /** Recent ProcessProfilePhoto outcomes kept in memory for the Media page. */
        recentMediaEvents: int(0, 10_000).default(100),
      })
      .prefault({}),
    /** Pub/sub between replicas: memory (one process) or redis (several replicas). */
    bus: z.enum(['memory', 'redis']).default('memory'),
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** Prefix of the bus channels, so several deployments (or test runs) can share one Redis. */
    busPrefix: z.string().regex(/^[A-Za-z0-9:_.-]{1,100}$/, 'letters, digits and : _ . - only').default('biilive'),
    /** Serve HTTPS/WSS; without tlsCert/tlsKey a self-signed certificate is generated in the data dir. */
    tls: bool.default(false),
    /** PEM certificate (chain) file; with tlsKey, implies tls. */
    tlsCert: z.string().min(1).optional(),
    /** PEM private key file. */
    tlsKey: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.codes.sender !== 'none' && c.codes.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['codes', 'from'], message: `required with codes.sender ${c.codes.sender}` });
    }
    if (c.codes.sender === 'smtp' && c.codes.smtpUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['codes', 'smtpUrl'], message: 'required with codes.sender smtp' });
    }
    if (c.production) {
      if (c.autoConfirm) ctx.addIssue({ code: 'custom', path: ['autoConfirm'], message: 'not allowed in production: users confirm with a delivered code' });
      if (c.codes.sender === 'none') {
        ctx.addIssue({ code: 'custom', path: ['codes', 'sender'], message: 'production needs a code sender: smtp or ses (there is no outbox in production)' });
      }
    }
    if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.tlsCert === undefined ? 'tlsCert' : 'tlsKey'], message: 'tlsCert and tlsKey go together' });
    }
    if (c.identity.mode === 'external') {
      if (c.identity.userPoolId === undefined && c.identity.issuer === undefined) {
        ctx.addIssue({ code: 'custom', path: ['identity', 'userPoolId'], message: 'identity.mode external needs identity.userPoolId or identity.issuer' });
      }
      if (c.identity.clientIds === undefined) {
        ctx.addIssue({ code: 'custom', path: ['identity', 'clientIds'], message: 'identity.mode external needs the accepted app client ids' });
      }
    }
    if ((c.admin.accessKeyId === undefined) !== (c.admin.secretAccessKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['admin', c.admin.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'], message: 'admin.accessKeyId and admin.secretAccessKey go together' });
    }
    if (c.realtime.idleTimeoutMs <= c.realtime.keepAliveMs) {
      ctx.addIssue({ code: 'custom', path: ['realtime', 'idleTimeoutMs'], message: 'must be longer than realtime.keepAliveMs' });
    }
  });

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = z.input<typeof configSchema>;
