/**
 * Multipart operations of the S3-compatible media endpoint (CreateMultipartUpload, UploadPart,
 * ListParts, CompleteMultipartUpload, AbortMultipartUpload) over src/domain/media/multipart.ts:
 * the write rules are checked when the upload starts, sizes as parts arrive and at completion.
 */
import { MultipartError, type MultipartUpload } from '../../domain/media/multipart.ts';
import { readBody, BodyTooLargeError } from '../http.ts';
import { fail, sendEmpty, sendXml, type S3Deps, type S3Request } from './context.ts';
import { checkWrite, storeBody } from './objects.ts';
import { completeMultipartUploadResult, initiateMultipartUploadResult, listPartsResult, parseCompleteMultipartUpload } from './xml.ts';

/** Largest CompleteMultipartUpload document read (10,000 parts with checksums fit). */
const COMPLETE_BODY_LIMIT = 2 * 1024 * 1024;

const refuse = (r: S3Request, err: unknown): void => {
  if (!(err instanceof MultipartError)) throw err;
  const status = err.code === 'NoSuchUpload' ? 404 : 400;
  fail(r, status, err.code, err.message, err.code === 'NoSuchUpload' ? { UploadId: r.query.get('uploadId') ?? '' } : {});
};

async function uploadOf(r: S3Request, deps: S3Deps): Promise<MultipartUpload | undefined> {
  try {
    return await deps.multipart.get(r.caller.sub ?? '', r.query.get('uploadId') ?? '', r.key);
  } catch (err) {
    refuse(r, err);
    return undefined;
  }
}

export async function createMultipartUpload(r: S3Request, deps: S3Deps): Promise<void> {
  const checked = await checkWrite(r, deps, r.req.headers['content-type']);
  if (!checked) return;
  const upload = await deps.multipart.create(r.caller.sub!, checked.target, checked.type);
  sendXml(r, 200, initiateMultipartUploadResult(r.bucket, r.key, upload.uploadId));
}

export async function uploadPart(r: S3Request, deps: S3Deps): Promise<void> {
  const upload = await uploadOf(r, deps);
  if (!upload) return;
  const partNumber = Number(r.query.get('partNumber'));
  const { maxBytes } = deps.media.rules(upload.kind);
  try {
    const info = await storeBody(r, maxBytes, async (body, length) => {
      const part = await deps.multipart.uploadPart(upload, partNumber, body, length, maxBytes);
      return { key: upload.key, size: part.size, contentType: upload.contentType, etag: part.etag, lastModified: part.lastModified };
    });
    if (!info) return;
    const crc = r.req.headers['x-amz-checksum-crc32'];
    sendEmpty(r, 200, { etag: info.etag, ...(typeof crc === 'string' ? { 'x-amz-checksum-crc32': crc } : {}) });
  } catch (err) {
    refuse(r, err);
  }
}

export async function listParts(r: S3Request, deps: S3Deps): Promise<void> {
  const upload = await uploadOf(r, deps);
  if (!upload) return;
  sendXml(r, 200, listPartsResult({ bucket: r.bucket, key: r.key, uploadId: upload.uploadId, parts: await deps.multipart.parts(upload) }));
}

export async function completeMultipartUpload(r: S3Request, deps: S3Deps): Promise<void> {
  const upload = await uploadOf(r, deps);
  if (!upload) return;
  let body: Buffer;
  try {
    body = await readBody(r.req, COMPLETE_BODY_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return fail(r, 400, 'MalformedXML', 'The XML you provided was too large.');
    throw err;
  }
  const parts = parseCompleteMultipartUpload(body.toString('utf8'));
  if (!parts) return fail(r, 400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  try {
    const info = await deps.multipart.complete(upload, parts, deps.media.rules(upload.kind).maxBytes);
    deps.log?.info({ key: upload.key, sub: upload.owner, size: info.size, parts: parts.length }, 'multipart upload completed through the S3 endpoint');
    sendXml(r, 200, completeMultipartUploadResult(`/${r.bucket}/${upload.key}`, r.bucket, upload.key, info.etag));
  } catch (err) {
    refuse(r, err);
  }
}

export async function abortMultipartUpload(r: S3Request, deps: S3Deps): Promise<void> {
  const upload = await uploadOf(r, deps);
  if (!upload) return;
  await deps.multipart.abort(upload);
  sendEmpty(r, 204);
}
