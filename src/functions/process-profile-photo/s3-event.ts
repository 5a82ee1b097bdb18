/** The S3 event notification shape (the subset ProcessProfilePhoto reads), as Lambda receives it. */
import type { ObjectCreatedEvent } from '../../ports/blobs.ts';

export interface S3EventRecord {
  eventVersion: string;
  eventSource: 'aws:s3';
  awsRegion: string;
  /** ISO time. */
  eventTime: string;
  /** e.g. "ObjectCreated:Put". */
  eventName: string;
  s3: {
    s3SchemaVersion: string;
    bucket: { name: string; arn?: string };
    /** `key` is URL-encoded, spaces as '+', as S3 sends it. */
    object: { key: string; size?: number; eTag?: string; sequencer?: string };
  };
}

export interface S3Event {
  Records: S3EventRecord[];
}

/** S3 form-encodes keys in notifications. */
export const encodeEventKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
export const decodeEventKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** The record S3 would send for an object-created event of the blob store. */
export function toS3Event(event: ObjectCreatedEvent, region = 'local'): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date(event.eventTime).toISOString(),
        eventName: event.eventName,
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: event.bucket, arn: `arn:aws:s3:::${event.bucket}` },
          object: { key: encodeEventKey(event.key), size: event.size, eTag: event.etag.replace(/"/g, '') },
        },
      },
    ],
  };
}
