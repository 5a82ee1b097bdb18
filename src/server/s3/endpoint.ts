/**
 * The S3-compatible media endpoint on the one HTTP port, for identity-pool credentials (Amplify
 * Storage, the AWS SDK's S3 client, `aws s3`): both addressing styles, for the configured bucket and
 * its dotted alias (media.apiBucketAlias, which Amplify addresses path-style, so no DNS set-up):
 *   path style      /<bucket>/<key>      (and /<bucket> for bucket-level requests)
 *   virtual-hosted  Host: <bucket>.<host>, path /<key>
 * Every request is SigV4-verified (header or presigned; @smithy/signature-v4) with the credentials
 * GetCredentialsForIdentity issued; refusals are S3's error XML. Any other request: `false`, so the
 * server's router falls through to its other routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaCaller } from '../../domain/media/s3-access.ts';
import { isValidBlobKey } from '../../ports/blobs.ts';
import type { Clock } from '../../ports/clock.ts';
import { verifySigV4, type CredentialsLookup, type SigV4FailureCode } from '../sigv4/verify.ts';
import { fail, newRequestId, sendEmpty, sendXml, type S3Deps, type S3Request } from './context.ts';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart } from './multipart-ops.ts';
import { deleteObject, getObject, listObjectsV2, putObject } from './objects.ts';
import { locationConstraint } from './xml.ts';

export interface S3EndpointDeps extends S3Deps {
  /** Names the endpoint answers to: the bucket and its alias. */
  names: string[];
  region: string;
  clock: Clock;
  maxSkewMs: number;
  credentials: CredentialsLookup<MediaCaller>;
  /** Counts answered requests (metrics). */
  observe?: (operation: string, status: number) => void;
}

export type S3Endpoint = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** How S3 names each SigV4 refusal (presigned URLs have their own wording for some). */
function s3Failure(code: SigV4FailureCode, presigned: boolean): { status: number; code: string; message?: string } {
  switch (code) {
    case 'Missing':
      return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    case 'Malformed':
    case 'WrongScope':
      return { status: 400, code: presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed' };
    case 'UnknownKey':
      return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    case 'InvalidToken':
      return { status: 400, code: 'InvalidToken', message: 'The provided token is malformed or otherwise invalid.' };
    case 'ExpiredToken':
      return { status: 400, code: 'ExpiredToken', message: 'The provided token has expired.' };
    case 'Expired':
      return presigned ? { status: 403, code: 'AccessDenied', message: 'Request has expired' } : { status: 403, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' };
    case 'SignatureMismatch':
      return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
  }
}

/** The bucket name this request addresses and its raw key path, or undefined when it is not an S3 request of ours. */
function locate(req: IncomingMessage, names: string[]): { bucket: string; rawKey: string } | undefined {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const hosted = names.find((n) => host.startsWith(`${n}.`) && host.length > n.length + 1);
  if (hosted) return { bucket: hosted, rawKey: path.slice(1) };
  const first = path.split('/')[1] ?? '';
  const slash = path.indexOf('/', 1);
  if (names.includes(first)) return { bucket: first, rawKey: slash === -1 ? '' : path.slice(slash + 1) };
  return undefined;
}

function decodeKey(raw: string): string | undefined {
  try {
    const key = raw.split('/').map((s) => decodeURIComponent(s)).join('/');
    return key === '' || isValidBlobKey(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The S3 operations served (also the support matrix's source of truth); anything else is NotImplemented. */
export const S3_OPERATIONS = [
  'PutObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'ListObjectsV2',
  'CreateMultipartUpload',
  'UploadPart',
  'ListParts',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'HeadBucket',
  'GetBucketLocation',
] as const;
type S3Operation = (typeof S3_OPERATIONS)[number];

type Operation = (r: S3Request, deps: S3Deps) => Promise<void>;

/** Which operation a request is, from its method and the sub-resources in its query. */
function operationOf(method: string, key: string, q: URLSearchParams, region: string): [S3Operation, Operation] | undefined {
  if (key === '') {
    if (method === 'GET' && q.get('list-type') === '2') return ['ListObjectsV2', listObjectsV2];
    if (method === 'GET' && q.has('location')) return ['GetBucketLocation', async (r) => sendXml(r, 200, locationConstraint(region))];
    if (method === 'HEAD') return ['HeadBucket', async (r) => sendEmpty(r, 200, { 'x-amz-bucket-region': region })];
    return undefined;
  }
  const uploadId = q.has('uploadId');
  if (method === 'POST' && q.has('uploads')) return ['CreateMultipartUpload', createMultipartUpload];
  if (method === 'POST' && uploadId) return ['CompleteMultipartUpload', completeMultipartUpload];
  if (method === 'PUT' && uploadId && q.has('partNumber')) return ['UploadPart', uploadPart];
  if (method === 'GET' && uploadId) return ['ListParts', listParts];
  if (method === 'DELETE' && uploadId) return ['AbortMultipartUpload', abortMultipartUpload];
  if (method === 'PUT' && !uploadId) return ['PutObject', putObject];
  if ((method === 'GET' || method === 'HEAD') && ![...q.keys()].some((k) => ['acl', 'tagging', 'attributes', 'torrent', 'retention', 'legal-hold'].includes(k))) {
    return [method === 'GET' ? 'GetObject' : 'HeadObject', getObject];
  }
  if (method === 'DELETE') return ['DeleteObject', deleteObject];
  return undefined;
}
export function createS3Endpoint(deps: S3EndpointDeps): S3Endpoint {
  const names = [...deps.names].sort((a, b) => b.length - a.length);
  return async (req, res) => {
    const located = locate(req, names);
    if (!located) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const requestId = newRequestId();
    const method = req.method ?? 'GET';
    const key = decodeKey(located.rawKey);
    const base = { req, res, key: key ?? '', requestId };
    let name: S3Operation | 'Unknown' = 'Unknown';
    const done = () => deps.observe?.(name, res.statusCode);
    if (key === undefined) {
      fail(base, 400, 'InvalidURI', 'Could not parse the specified URI.');
      return (done(), true);
    }
    const auth = await verifySigV4(
      { method, url, headers: req.headers },
      { service: 's3', region: deps.region, now: deps.clock.now(), maxSkewMs: deps.maxSkewMs, credentials: deps.credentials, s3Path: true },
    );
    if (!auth.ok) {
      const presigned = query.has('X-Amz-Signature');
      const f = s3Failure(auth.failure.code, presigned);
      fail(base, f.status, f.code, f.message ?? auth.failure.message);
      return (done(), true);
    }
    const op = operationOf(method, key, query, deps.region);
    if (!op) {
      fail(base, 501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented.');
      return (done(), true);
    }
    name = op[0];
    const r: S3Request = { ...base, bucket: located.bucket, caller: auth.principal, query, ...(auth.payloadHash ? { payloadHash: auth.payloadHash } : {}) };
    try {
      await op[1](r, deps);
    } catch (err) {
      deps.log?.error({ err, operation: name, key }, 'S3 request failed');
      if (!res.headersSent) fail(base, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      else res.destroy();
    }
    done();
    return true;
  };
}
