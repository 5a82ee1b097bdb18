/** The media HTTP endpoint (presigned uploads, CDN paths) over the runtime's media (src/runtime/media.ts). */
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { MediaModule } from '../../runtime/media.ts';
import { createMediaHandler, type MediaHandler, type MediaHandlerDeps } from './handler.ts';

export interface MediaEndpointOptions {
  media: Pick<MediaModule, 'blobs' | 'signer' | 'invalidations'>;
  settings: Pick<Config['media'], 'cdnCacheMaxBytes' | 'cdnCacheObjectMaxBytes' | 'invalidationPollMs'>;
  clock: Clock;
  log: Logger;
  observe?: MediaHandlerDeps['observe'];
}

export function createMediaEndpoint({ media, settings, clock, log, observe }: MediaEndpointOptions): MediaHandler {
  return createMediaHandler({
    blobs: media.blobs,
    presign: media.signer,
    clock,
    log,
    cacheMaxBytes: settings.cdnCacheMaxBytes,
    cacheObjectMaxBytes: settings.cdnCacheObjectMaxBytes,
    invalidations: media.invalidations,
    invalidationPollMs: settings.invalidationPollMs,
    observe,
  });
}
