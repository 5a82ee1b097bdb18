/**
 * ProcessProfilePhoto on AWS: the photo processor over S3 and sharp. Its own module so that only
 * the photo function's bundle pulls in sharp (a native module installed for Lambda's platform).
 */
import { createSharpImages } from '../adapters/images/sharp-images.ts';
import { PhotoProcessor } from '../domain/media/photo-processor.ts';
import { createProcessProfilePhoto, PROCESS_PROFILE_PHOTO, type ProcessProfilePhoto } from '../functions/process-profile-photo/handler.ts';
import type { LambdaSystem } from './lambda.ts';

export function createPhotoFunction(system: LambdaSystem): ProcessProfilePhoto {
  const { config, blobs, tables, clock, urlFor, log } = system;
  const m = config.media;
  const images = createSharpImages({ limitInputPixels: m.limitInputPixels, quality: m.jpegQuality, concurrency: m.imageConcurrency });
  const processor = new PhotoProcessor({
    blobs,
    images,
    tables,
    tableNames: config.tables,
    clock,
    settings: m,
    // On AWS the CDN base is fixed (CloudFront): the URLs are stored too, for AppSync's direct resolvers.
    storedUrlFor: urlFor,
    log: log.child({ function: PROCESS_PROFILE_PHOTO }),
    onFailure: (reason, key) => log.warn({ reason, key }, 'photo refused'),
  });
  return createProcessProfilePhoto({ processor, bucket: blobs.bucket, log });
}
