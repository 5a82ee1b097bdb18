/** What every S3 operation of the media endpoint gets: the request, its key, caller and dependencies. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaService } from '../../domain/media/media-service.ts';
import type { MultipartUploads } from '../../domain/media/multipart.ts';
import type { MediaCaller } from '../../domain/media/s3-access.ts';
import type { Blobs } from '../../ports/blobs.ts';
import type { Logger } from '../../ports/logger.ts';
import { sendS3Error } from '../media/s3-errors.ts';

export interface S3Deps {
  blobs: Blobs;
  media: Pick<MediaService, 'rules' | 'deletePhoto'>;
  multipart: MultipartUploads;
  /** Whether the user has a profile (writes need one, as requestUpload does). */
  hasProfile: (sub: string) => Promise<boolean>;
  /** Drops CDN copies of replaced or deleted objects (every replica's, or CloudFront's). */
  invalidate: (paths: string[]) => Promise<void>;
  log?: Logger;
}

export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  caller: MediaCaller;
  /** The bucket as the client addressed it (the bucket or its alias): responses echo it. */
  bucket: string;
  /** Decoded object key ('' for bucket-level requests). */
  key: string;
  query: URLSearchParams;
  /** x-amz-content-sha256 as signed (header form), if any. */
  payloadHash?: string;
  requestId: string;
}

export const newRequestId = () => randomBytes(8).toString('hex').toUpperCase();

/** An S3 error with the request's id and resource, in S3's XML. */
export function fail(r: Pick<S3Request, 'req' | 'res' | 'key' | 'requestId'>, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  sendS3Error(r.req, r.res, status, code, message, { ...(r.key ? { Key: r.key } : {}), ...extra, RequestId: r.requestId }, { 'x-amz-request-id': r.requestId });
}

export function sendXml(r: Pick<S3Request, 'res' | 'requestId'>, status: number, xml: string, headers: Record<string, string> = {}): void {
  r.res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(xml)),
    'x-amz-request-id': r.requestId,
    ...headers,
  });
  r.res.end(xml);
}

export function sendEmpty(r: Pick<S3Request, 'res' | 'requestId'>, status: number, headers: Record<string, string> = {}): void {
  r.res.writeHead(status, { 'content-length': '0', 'x-amz-request-id': r.requestId, ...headers });
  r.res.end();
}
