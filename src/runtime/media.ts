/**
 * Media, assembled from config for the embedded and scaled-out runtimes: the blob store (fs or
 * S3), the embedded URL signer (fs), sharp, MediaService, ProcessProfilePhoto and its embedded
 * trigger, and shared CDN invalidations. The HTTP side (uploads, CDN paths) is the server's
 * (src/server/media/endpoint.ts), built from what this returns.
 */
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { FsBlobs } from '../adapters/blobs/fs-blobs.ts';
import { S3Blobs } from '../adapters/blobs/s3-blobs.ts';
import { EmbeddedUrlSigner } from '../adapters/blobs/url-signer.ts';
import { createSharpImages } from '../adapters/images/sharp-images.ts';
import { CdnInvalidations } from '../domain/media/invalidations.ts';
import { MediaService } from '../domain/media/media-service.ts';
import { MultipartUploads } from '../domain/media/multipart.ts';
import { PhotoProcessor, type PhotoFailure } from '../domain/media/photo-processor.ts';
import { loadMediaSigningSecret } from '../domain/media/signing-secret.ts';
import { createPhotoTrigger, type PhotoRun, type PhotoTrigger } from './photo-trigger.ts';
import { createProcessProfilePhoto, type ProcessProfilePhoto } from '../functions/process-profile-photo/handler.ts';
import { BucketMissingError, type Blobs } from '../ports/blobs.ts';
import { StartupError } from './store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { ImageProcessor } from '../ports/images.ts';
import type { Logger } from '../ports/logger.ts';
import type { Tables } from '../ports/tables.ts';

export interface MediaModuleOptions {
  config: Config;
  tables: Tables;
  clock: Clock;
  ids: Ids;
  log: Logger;
  /** This server's public base URL (known after listen): signed upload URLs and default CDN base. */
  publicUrl: () => string;
  /** Counts refused photo uploads (e.g. a prom-client counter labelled by reason). */
  onFailure?: (reason: PhotoFailure) => void;
  /** Sees every ProcessProfilePhoto run (metrics, recent uploads). */
  onRun?: (run: PhotoRun) => void;
  /** Overrides for tests. */
  blobs?: Blobs;
  images?: ImageProcessor;
}

export interface MediaModule {
  service: MediaService;
  blobs: Blobs;
  /** The embedded store's URL signer (fs only): the server verifies presigned uploads with it. */
  signer?: EmbeddedUrlSigner;
  invalidations: CdnInvalidations;
  /** S3 multipart uploads of the media endpoint (parts in the blob store, records in the system table). */
  multipart: MultipartUploads;
  processor: PhotoProcessor;
  fn: ProcessProfilePhoto;
  trigger: PhotoTrigger;
  /** Absolute CDN URL of a key. */
  urlFor(key: string): string;
  /** Ensures the bucket and starts the trigger (queues uploads left in quarantine). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function createMediaModule(options: MediaModuleOptions): Promise<MediaModule> {
  const { config, tables, clock, log } = options;
  const m = config.media;
  const mediaLog = log.child({ component: 'media' });

  let signer: EmbeddedUrlSigner | undefined;
  let blobs = options.blobs;
  if (!blobs) {
    if (m.store === 'fs') {
      const secret = await loadMediaSigningSecret(tables, config.tables.system, options.ids);
      signer = new EmbeddedUrlSigner({ secret, baseUrl: options.publicUrl });
      blobs = new FsBlobs({ root: join(resolve(config.dataDir), 'media'), bucket: m.bucket, signer, clock, log: mediaLog });
    } else {
      blobs = new S3Blobs({
        bucket: m.bucket,
        region: config.region,
        endpoint: m.s3Endpoint,
        forcePathStyle: m.s3ForcePathStyle,
        clock,
        log: mediaLog,
      });
    }
  }
  const images =
    options.images ??
    createSharpImages({ limitInputPixels: m.limitInputPixels, quality: m.jpegQuality, concurrency: m.imageConcurrency });
  const urlFor = (key: string) => `${(m.cdnBaseUrl ?? options.publicUrl()).replace(/\/+$/, '')}/${key}`;
  const invalidations = new CdnInvalidations({ tables, systemTable: config.tables.system, clock });

  const service = new MediaService({ tables, tableNames: config.tables, blobs, clock, settings: m, limits: config.limits, urlFor, invalidations, log: mediaLog });
  const processor = new PhotoProcessor({
    blobs,
    images,
    tables,
    tableNames: config.tables,
    clock,
    settings: m,
    // Only a configured CDN base is fixed enough to store; the server's own URL may change.
    storedUrlFor: m.cdnBaseUrl ? urlFor : undefined,
    log: mediaLog.child({ function: 'ProcessProfilePhoto' }),
    onFailure: options.onFailure ? (reason) => options.onFailure!(reason) : undefined,
  });
  const fn = createProcessProfilePhoto({ processor, bucket: blobs.bucket, log: mediaLog });
  const trigger = createPhotoTrigger({
    blobs,
    fn,
    concurrency: m.imageConcurrency,
    log: mediaLog,
    region: config.region,
    // An S3 store raises no event for direct uploads here: look for them regularly.
    rescanMs: m.store === 's3' ? 5000 : undefined,
    observe: options.onRun,
  });
  const multipart = new MultipartUploads({
    tables,
    systemTable: config.tables.system,
    blobs,
    clock,
    minPartBytes: m.multipartMinPartBytes,
    ttlMs: m.multipartUploadTtlHours * 3_600_000,
  });
  return {
    service,
    blobs,
    signer,
    invalidations,
    multipart,
    processor,
    fn,
    trigger,
    urlFor,
    async start() {
      // An S3 bucket is infrastructure: `biilive db init` creates it; a server refuses to start without it.
      const where = m.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? `AWS S3 in ${config.region}`;
      try {
        await blobs.ensure({ create: m.store === 'fs' });
      } catch (err) {
        if (m.store === 'fs') throw err;
        if (err instanceof BucketMissingError) {
          throw new StartupError(`the media bucket ${m.bucket} does not exist at ${where} (\`biilive db init --media s3\` creates it)`);
        }
        const e = err as Error;
        throw new StartupError(`cannot use S3 at ${where}: ${e.name}: ${e.message}`);
      }
      await trigger.start();
    },
    async close() {
      await trigger.stop();
      await blobs.close();
    },
  };
}
