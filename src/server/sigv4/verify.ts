/**
 * AWS Signature Version 4 verification, for requests signed by AWS clients with credentials this
 * server issued (the operator's keys for the Cognito admin API, identity-pool credentials for the
 * S3-compatible media endpoint). Nothing is computed by hand: the request is signed again with
 * @smithy/signature-v4 (the AWS SDK's own signer) at the client's date, over exactly the headers
 * the client listed, and the two signatures are compared in constant time. Both forms are
 * accepted: the Authorization header and presigned query parameters (X-Amz-Signature, ...).
 *
 * Failures are returned, not thrown, as a code each edge renders in its protocol's shape
 * (Cognito's `__type`, S3's error XML).
 */
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

export type SigV4FailureCode =
  /** No Authorization header and no X-Amz-Signature. */
  | 'Missing'
  /** Malformed header or parameters, or an algorithm other than AWS4-HMAC-SHA256. */
  | 'Malformed'
  /** The access key id is not one of ours. */
  | 'UnknownKey'
  /** The credentials were ours but have expired (identity-pool credentials). */
  | 'ExpiredToken'
  /** The session token is not one of ours (tampered or malformed). */
  | 'InvalidToken'
  /** Scoped to another region or service. */
  | 'WrongScope'
  /** X-Amz-Date too far from now (header form) or the presigned URL expired. */
  | 'Expired'
  | 'SignatureMismatch';

export interface SigV4Failure {
  code: SigV4FailureCode;
  message: string;
}

/** What the edge knows about an access key: its secret, and who holds it. */
export interface SigV4Credentials<P> {
  secretAccessKey: string;
  principal: P;
}

export type CredentialsLookup<P> = (
  accessKeyId: string,
  sessionToken: string | undefined,
) => Promise<SigV4Credentials<P> | SigV4Failure | undefined>;

export interface SigV4Request {
  method: string;
  /** The raw request target (path and query, as received). */
  url: string;
  headers: IncomingHttpHeaders;
  /** The whole body when it has been read; otherwise x-amz-content-sha256 stands for it. */
  body?: Buffer;
}

export interface SigV4Options<P> {
  service: string;
  region: string;
  now: number;
  /** Largest distance between X-Amz-Date and now for header-signed requests (AWS: 15 minutes). */
  maxSkewMs: number;
  credentials: CredentialsLookup<P>;
  /** S3 signs the path as sent (segments encoded once); other services encode the decoded path. */
  s3Path?: boolean;
}

export type SigV4Result<P> =
  | { ok: true; principal: P; accessKeyId: string; presigned: boolean; payloadHash?: string }
  | { ok: false; failure: SigV4Failure };

/** Node's SHA-256 in the shape the smithy signer expects (what @smithy/hash-node provides). */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (d: Data): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: string | Uint8Array;
  constructor(secret?: Data) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Data): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

const fail = (code: SigV4FailureCode, message: string) => ({ ok: false as const, failure: { code, message } });
const DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MAX_PRESIGN_SECONDS = 604_800;

function parseDate(value: string | undefined): Date | undefined {
  const m = value ? DATE.exec(value) : null;
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** AWS URI encoding of one path segment or query component (RFC 3986 unreserved kept). */
export const awsEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Query parameters decoded (`+` stays a plus, as SigV4 canonicalises it), repeated names as arrays. */
function parseQuery(raw: string): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {};
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq === -1 ? part : part.slice(0, eq));
    const value = safeDecode(eq === -1 ? '' : part.slice(eq + 1));
    if (name === undefined || value === undefined) return undefined;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

const headerValue = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(',') : v);
const single = (v: string | string[] | undefined) => (Array.isArray(v) ? undefined : v);

interface Parsed {
  accessKeyId: string;
  scope: { date: string; region: string; service: string };
  signedHeaders: string[];
  signature: string;
  date: Date;
  sessionToken?: string;
  expiresIn?: number;
}

const CREDENTIAL = /^([A-Za-z0-9]{4,128})\/(\d{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})\/aws4_request$/;
const SIGNED_HEADERS = /^[a-z0-9-]+(;[a-z0-9-]+)*$/;

function parseAuthorization(header: string, headers: IncomingHttpHeaders): Parsed | SigV4Failure {
  const m = /^AWS4-HMAC-SHA256 (.+)$/.exec(header);
  if (!m) return { code: 'Malformed', message: 'Only AWS4-HMAC-SHA256 signatures are supported.' };
  const fields = Object.fromEntries(
    m[1].split(/,\s*/).map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
    }),
  );
  const cred = CREDENTIAL.exec(fields.Credential ?? '');
  if (!cred || !SIGNED_HEADERS.test(fields.SignedHeaders ?? '') || !/^[0-9a-f]{64}$/.test(fields.Signature ?? '')) {
    return { code: 'Malformed', message: 'Authorization header requires Credential, SignedHeaders and Signature parameters.' };
  }
  const date = parseDate(single(headers['x-amz-date']));
  if (!date) return { code: 'Malformed', message: 'Authorization header requires an X-Amz-Date header in ISO 8601 basic format.' };
  return {
    accessKeyId: cred[1],
    scope: { date: cred[2], region: cred[3], service: cred[4] },
    signedHeaders: fields.SignedHeaders.split(';'),
    signature: fields.Signature,
    date,
    sessionToken: single(headers['x-amz-security-token']),
  };
}

function parsePresigned(query: Record<string, string | string[]>): Parsed | SigV4Failure {
  const get = (name: string) => single(query[name]);
  const cred = CREDENTIAL.exec(get('X-Amz-Credential') ?? '');
  const date = parseDate(get('X-Amz-Date'));
  const expires = Number(get('X-Amz-Expires'));
  const signed = get('X-Amz-SignedHeaders') ?? '';
  const signature = get('X-Amz-Signature') ?? '';
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !cred || !date || !SIGNED_HEADERS.test(signed) || !/^[0-9a-f]{64}$/.test(signature)) {
    return { code: 'Malformed', message: 'Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.' };
  }
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
    return { code: 'Malformed', message: 'X-Amz-Expires must be between 1 and 604800 seconds.' };
  }
  return {
    accessKeyId: cred[1],
    scope: { date: cred[2], region: cred[3], service: cred[4] },
    signedHeaders: signed.split(';'),
    signature,
    date,
    sessionToken: get('X-Amz-Security-Token'),
    expiresIn: expires,
  };
}

function canonicalPath(rawPath: string, s3: boolean): string | undefined {
  const segments = rawPath.split('/').map(safeDecode);
  if (segments.some((s) => s === undefined)) return undefined;
  // S3: each segment encoded once (the signer then takes it as is); others: the decoded path.
  return s3 ? (segments as string[]).map(awsEncode).join('/') : (segments as string[]).join('/');
}

/** Verifies the request's SigV4 signature; see the module comment. */
export async function verifySigV4<P>(req: SigV4Request, o: SigV4Options<P>): Promise<SigV4Result<P>> {
  const q = req.url.indexOf('?');
  const rawPath = q === -1 ? req.url : req.url.slice(0, q);
  const query = parseQuery(q === -1 ? '' : req.url.slice(q + 1));
  if (!query) return fail('Malformed', 'The query string is not valid.');
  const authorization = single(req.headers.authorization);
  const presigned = authorization === undefined && query['X-Amz-Signature'] !== undefined;
  if (authorization === undefined && !presigned) return fail('Missing', 'Missing Authentication Token');
  const parsed = presigned ? parsePresigned(query) : parseAuthorization(authorization!, req.headers);
  if ('code' in parsed) return { ok: false, failure: parsed };

  const { scope } = parsed;
  const shortDate = parsed.date.toISOString().slice(0, 10).replace(/-/g, '');
  if (scope.date !== shortDate) return fail('Malformed', 'The credential date does not match X-Amz-Date.');
  if (scope.service !== o.service) return fail('WrongScope', `Credential should be scoped to correct service: '${o.service}'.`);
  if (scope.region !== o.region) return fail('WrongScope', `Credential should be scoped to a valid region, not '${scope.region}'.`);
  if (!parsed.signedHeaders.includes('host')) return fail('Malformed', 'The host header must be signed.');

  const found = await o.credentials(parsed.accessKeyId, parsed.sessionToken);
  if (found === undefined) return fail('UnknownKey', 'The security token included in the request is invalid.');
  if ('code' in found) return { ok: false, failure: found };

  const at = parsed.date.getTime();
  if (presigned) {
    if (at - o.maxSkewMs > o.now) return fail('Expired', 'Request is not valid yet.');
    if (at + parsed.expiresIn! * 1000 < o.now) return fail('Expired', 'Request has expired');
  } else if (Math.abs(at - o.now) > o.maxSkewMs) {
    return fail('Expired', 'Signature expired: the request time is too far from the server time.');
  }

  const path = canonicalPath(rawPath, o.s3Path === true);
  if (path === undefined) return fail('Malformed', 'The request path is not valid.');
  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const value = headerValue(req.headers[name]);
    if (value === undefined) return fail('SignatureMismatch', `The header ${name} is signed but absent.`);
    headers[name] = value;
  }
  const host = headers.host.split(':');
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: parsed.accessKeyId,
      secretAccessKey: found.secretAccessKey,
      ...(parsed.sessionToken !== undefined ? { sessionToken: parsed.sessionToken } : {}),
    },
    region: scope.region,
    service: scope.service,
    sha256: NodeSha256,
    uriEscapePath: o.s3Path !== true,
    // Never add x-amz-content-sha256 the client did not send: it would change the signed headers.
    applyChecksum: false,
  });
  const signedSet = new Set(parsed.signedHeaders);
  let expected: string | undefined;
  if (presigned) {
    const rest = Object.fromEntries(Object.entries(query).filter(([k]) => !/^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)$/.test(k)));
    // Presigned URLs sign no payload (UNSIGNED-PAYLOAD, as S3's presigner does): the header carries
    // that value into the hash without being signed itself.
    const out = await signer.presign(
      {
        method: req.method,
        protocol: 'https:',
        hostname: host[0],
        port: host[1] ? Number(host[1]) : undefined,
        path,
        query: rest,
        headers: { ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      {
        signingDate: parsed.date,
        expiresIn: parsed.expiresIn,
        signableHeaders: signedSet,
        unsignableHeaders: new Set(['x-amz-content-sha256']),
        unhoistableHeaders: new Set([...Object.keys(headers), 'x-amz-content-sha256']),
      },
    );
    expected = single(out.query?.['X-Amz-Signature'] ?? undefined);
  } else {
    const body = headers['x-amz-content-sha256'] !== undefined ? undefined : (req.body ?? Buffer.alloc(0));
    const out = await signer.sign(
      { method: req.method, protocol: 'https:', hostname: host[0], port: host[1] ? Number(host[1]) : undefined, path, query, headers, body },
      { signingDate: parsed.date, signableHeaders: signedSet },
    );
    expected = /Signature=([0-9a-f]{64})/.exec(single(out.headers.authorization) ?? '')?.[1];
  }
  // A signed x-amz-content-sha256 stands for the body in the signature: when the body is here, it
  // must be that body (S3 checks it while streaming: src/server/s3/payload.ts).
  const declared = headers['x-amz-content-sha256'];
  if (req.body !== undefined && declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== createHash('sha256').update(req.body).digest('hex')) {
    return fail('SignatureMismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }
  const a = Buffer.from(expected ?? '', 'hex');
  const b = Buffer.from(parsed.signature, 'hex');
  if (a.length !== 32 || a.length !== b.length || !timingSafeEqual(a, b)) {
    return fail('SignatureMismatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return {
    ok: true,
    principal: found.principal,
    accessKeyId: parsed.accessKeyId,
    presigned,
    ...(headers['x-amz-content-sha256'] !== undefined ? { payloadHash: headers['x-amz-content-sha256'] } : {}),
  };
}
