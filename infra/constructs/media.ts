/**
 * Media (seed: S3 + CloudFront): the bucket and the CDN in front of it.
 *
 * - Bucket: private (public access blocked, served only through CloudFront's origin access
 *   control), S3-managed encryption, TLS only, CORS for the app's presigned uploads, request
 *   metrics for the whole bucket (the dashboard's media row), access logs.
 * - Lifecycle: uploads left in the quarantine prefix `incoming/` (src/domain/media/keys.ts) expire
 *   after a day, and so do incomplete multipart uploads.
 * - CloudFront: the seed's three behaviours with the Cache-Control values of
 *   src/domain/media/behaviours.ts (the embedded CDN sends the same), cache TTLs derived from them.
 *   Any other path is answered 404 at the edge, and the bucket policy denies CloudFront the
 *   quarantine, so an original upload is never public whatever the behaviours say.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BEHAVIOURS, type Behaviour } from '../../src/domain/media/behaviours.ts';
import { INCOMING_PREFIX } from '../../src/domain/media/keys.ts';

/** The S3 request-metrics filter the dashboard reads (CloudWatch dimension FilterId). */
export const ENTIRE_BUCKET_METRICS = 'EntireBucket';
/** How long an unprocessed upload or an unfinished multipart upload is kept. */
export const QUARANTINE_DAYS = 1;
/** Access logs are kept this long. */
export const ACCESS_LOG_DAYS = 90;
/** How long browsers may cache a CORS preflight. */
const CORS_MAX_AGE_SECONDS = 3000;

/** Seconds a response may be cached, from its Cache-Control value (no-cache / no-store: 0). */
export function cacheSeconds(cacheControl: string): number {
  if (/(^|,)\s*(no-cache|no-store)\s*(,|$)/.test(cacheControl)) return 0;
  const maxAge = /(^|,)\s*max-age=(\d+)\s*(,|$)/.exec(cacheControl);
  if (!maxAge) throw new Error(`Cache-Control "${cacheControl}" has no max-age`);
  return Number(maxAge[2]);
}

/** CloudFront's path pattern of a behaviour: its prefix, then any key. */
export const pathPattern = (b: Behaviour) => `${b.prefix}*`;

export interface MediaProps {
  bucketName: string;
  corsOrigins: string[];
}

export class Media extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** https://<distribution domain>: the base of every stored media URL. */
  readonly cdnBaseUrl: string;

  constructor(scope: Construct, id: string, props: MediaProps) {
    super(scope, id);
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are written with an ACL; S3 access logs use the bucket policy.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      cors: [
        {
          // PUT: the presigned uploads; GET/HEAD: reading an object back with a presigned URL.
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: props.corsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
      ],
      lifecycleRules: [
        { id: 'expire-upload-quarantine', prefix: INCOMING_PREFIX, expiration: Duration.days(QUARANTINE_DAYS) },
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(QUARANTINE_DAYS) },
      ],
      metrics: [{ id: ENTIRE_BUCKET_METRICS }],
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'media-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Defence in depth: whatever a behaviour routes, CloudFront can never read the quarantine.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NoCdnForUploadQuarantine',
        effect: iam.Effect.DENY,
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${INCOMING_PREFIX}*`)],
      }),
    );

    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const notFound = new cloudfront.Function(this, 'NotFound', {
      comment: 'Paths outside the media behaviours: 404 at the edge',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline("function handler(event) { return { statusCode: 404, statusDescription: 'Not Found' }; }"),
    });

    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    for (const b of BEHAVIOURS) additionalBehaviors[pathPattern(b)] = this.behaviour(b, origin, props.corsOrigins);

    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'BiiLive media',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        functionAssociations: [{ function: notFound, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cdn/',
    });
    this.cdnBaseUrl = `https://${this.distribution.distributionDomainName}`;
  }

  /** One seed behaviour: cache TTLs and the exact Cache-Control header from its definition. */
  private behaviour(b: Behaviour, origin: cloudfront.IOrigin, corsOrigins: string[]): cloudfront.BehaviorOptions {
    const name = b.prefix.replace(/[^a-z0-9]+/gi, ' ').trim().split(' ').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
    const ttl = Duration.seconds(cacheSeconds(b.cacheControl));
    const cachePolicy = new cloudfront.CachePolicy(this, `${name}Cache`, {
      comment: `${b.prefix}: ${b.cacheControl}`,
      defaultTtl: ttl,
      minTtl: Duration.seconds(0),
      maxTtl: ttl,
      // Objects are already-compressed JPEG/MP4: no Accept-Encoding variants.
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    });
    const responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, `${name}Headers`, {
      comment: `${b.prefix}: Cache-Control as the embedded CDN sends it`,
      customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: b.cacheControl, override: true }] },
      securityHeadersBehavior: { contentTypeOptions: { override: true } },
      corsBehavior: {
        accessControlAllowOrigins: corsOrigins,
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        originOverride: true,
      },
    });
    return {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      compress: false,
      cachePolicy,
      responseHeadersPolicy,
    };
  }
}
