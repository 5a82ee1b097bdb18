/** The S3 XML bodies the media endpoint answers with, and the one it reads (CompleteMultipartUpload). */
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const escape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (ms: number) => new Date(ms).toISOString();

type Node = string | number | boolean | undefined | Node[] | { [tag: string]: Node };

/** `{Tag: value}` objects to XML elements; arrays repeat their parent tag; undefined is left out. */
function render(tag: string, value: Node): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => render(tag, v)).join('');
  if (typeof value === 'object') return `<${tag}>${Object.entries(value).map(([t, v]) => render(t, v)).join('')}</${tag}>`;
  return `<${tag}>${escape(String(value))}</${tag}>`;
}

export function xmlDocument(root: string, body: Record<string, Node>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${Object.entries(body).map(([t, v]) => render(t, v)).join('')}</${root}>`;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

export function listBucketResult(o: {
  bucket: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  items: ListedObject[];
  commonPrefixes: string[];
  continuationToken?: string;
  nextContinuationToken?: string;
  startAfter?: string;
  encodeKeys: boolean;
}): string {
  const enc = (s: string) => (o.encodeKeys ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
  return xmlDocument('ListBucketResult', {
    Name: o.bucket,
    Prefix: enc(o.prefix),
    ...(o.delimiter !== undefined ? { Delimiter: enc(o.delimiter) } : {}),
    MaxKeys: o.maxKeys,
    KeyCount: o.items.length + o.commonPrefixes.length,
    IsTruncated: o.nextContinuationToken !== undefined,
    ...(o.encodeKeys ? { EncodingType: 'url' } : {}),
    ...(o.continuationToken !== undefined ? { ContinuationToken: o.continuationToken } : {}),
    ...(o.nextContinuationToken !== undefined ? { NextContinuationToken: o.nextContinuationToken } : {}),
    ...(o.startAfter !== undefined ? { StartAfter: enc(o.startAfter) } : {}),
    Contents: o.items.map((i) => ({ Key: enc(i.key), LastModified: iso(i.lastModified), ETag: i.etag, Size: i.size, StorageClass: 'STANDARD' })),
    CommonPrefixes: o.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

export const initiateMultipartUploadResult = (bucket: string, key: string, uploadId: string) =>
  xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: uploadId });

export const completeMultipartUploadResult = (location: string, bucket: string, key: string, etag: string) =>
  xmlDocument('CompleteMultipartUploadResult', { Location: location, Bucket: bucket, Key: key, ETag: etag });

export const listPartsResult = (o: { bucket: string; key: string; uploadId: string; parts: Array<{ partNumber: number; etag: string; size: number; lastModified: number }> }) =>
  xmlDocument('ListPartsResult', {
    Bucket: o.bucket,
    Key: o.key,
    UploadId: o.uploadId,
    StorageClass: 'STANDARD',
    MaxParts: 10_000,
    IsTruncated: false,
    Part: o.parts.map((p) => ({ PartNumber: p.partNumber, LastModified: iso(p.lastModified), ETag: p.etag, Size: p.size })),
  });

export const locationConstraint = (region: string) => xmlDocument('LocationConstraint', {}).replace('></LocationConstraint>', `>${escape(region)}</LocationConstraint>`);

const unescape = (s: string) =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|quot|amp|lt|gt|apos);/g, (_, e: string) =>
    e === 'quot' ? '"' : e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );

/**
 * The parts of a CompleteMultipartUpload body (`<Part><PartNumber>n</PartNumber><ETag>..</ETag></Part>`,
 * other members such as checksums ignored), or undefined when it is not that document.
 */
export function parseCompleteMultipartUpload(xml: string): Array<{ partNumber: number; etag: string }> | undefined {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) return undefined;
  const parts: Array<{ partNumber: number; etag: string }> = [];
  for (const m of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const n = /<PartNumber>\s*(\d{1,5})\s*<\/PartNumber>/.exec(m[1]);
    const e = /<ETag>([\s\S]*?)<\/ETag>/.exec(m[1]);
    if (!n || !e) return undefined;
    parts.push({ partNumber: Number(n[1]), etag: unescape(e[1].trim()) });
  }
  return parts;
}
