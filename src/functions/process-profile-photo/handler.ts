/**
 * ProcessProfilePhoto: the seed's S3-triggered function, as a pure handler over the S3 event shape.
 * On AWS it is the Lambda behind the bucket notification (ObjectCreated on prefix `incoming/`);
 * embedded, src/runtime/photo-trigger.ts feeds it the blob store's object-created events. It handles photo uploads
 * only (src/domain/media/keys.ts parsePhotoUpload), so its own outputs (`profile-photos/...`,
 * `fotos/...`) never re-trigger it; other buckets, event names and keys are skipped.
 * The work itself is src/domain/media/photo-processor.ts.
 */
import type { Logger } from '../../ports/logger.ts';
import type { PhotoProcessor, ProcessOutcome } from '../../domain/media/photo-processor.ts';
import { decodeEventKey, type S3Event } from './s3-event.ts';

export const PROCESS_PROFILE_PHOTO = 'ProcessProfilePhoto';

export interface ProcessProfilePhotoDeps {
  processor: Pick<PhotoProcessor, 'process'>;
  /** Records of other buckets are skipped. */
  bucket: string;
  log?: Logger;
}

export interface ProcessedRecord {
  key: string;
  outcome: ProcessOutcome;
}

export interface ProcessProfilePhoto {
  /**
   * Processes every record; refused images are outcomes, not errors. Throws (after trying every
   * record) when storage or tables failed, so Lambda retries the event; the retry is idempotent.
   */
  handler(event: S3Event): Promise<ProcessedRecord[]>;
}

export function createProcessProfilePhoto(deps: ProcessProfilePhotoDeps): ProcessProfilePhoto {
  async function handler(event: S3Event): Promise<ProcessedRecord[]> {
    const results: ProcessedRecord[] = [];
    const errors: unknown[] = [];
    for (const record of event?.Records ?? []) {
      let key: string;
      try {
        key = decodeEventKey(record.s3.object.key);
      } catch {
        deps.log?.warn({ key: record?.s3?.object?.key }, 'undecodable key in S3 event');
        continue;
      }
      if (record.s3?.bucket?.name !== deps.bucket || !String(record.eventName).startsWith('ObjectCreated:')) {
        results.push({ key, outcome: { status: 'ignored' } });
        continue;
      }
      try {
        results.push({ key, outcome: await deps.processor.process(key) });
      } catch (err) {
        deps.log?.error({ err, key }, 'photo processing failed');
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} records failed`);
    return results;
  }
  return { handler };
}
