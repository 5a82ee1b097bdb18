import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Blobs } from '../../src/adapters/blobs/s3-blobs.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { runBlobsConformance } from './blobs.conformance.ts';

let server: S3TestServer;
let buckets = 0;
before(async () => {
  server = await startS3Server();
});
after(async () => {
  await server?.stop();
});

const open = (bucket: string) => {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(server.endpoint)) throw new Error(`refusing a non-local S3 endpoint: ${server.endpoint}`);
  return new S3Blobs({
    bucket,
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
    maxAttempts: 1,
    requestTimeoutMs: 15_000,
  });
};

runBlobsConformance('s3 (s3rver)', async () => {
  const blobs = open(`conformance-${++buckets}`);
  return {
    blobs,
    verifiesPresigned: false,
    serverGaps: {
      listingOrder: 's3rver lists in its folder walk order, not UTF-8 key order as S3 does',
      atomicOverwrite: 's3rver rewrites an object file in place (S3 and MinIO replace objects atomically)',
    },
    cleanup: () => blobs.close(),
  };
});

test('s3: a presigned PUT signs Content-Type and Content-Length and carries no empty-body checksum', async () => {
  const blobs = open('presign-shape');
  try {
    const put = await blobs.presignPut('incoming/fotos/u1/full_1.jpg', { contentType: 'image/jpeg', contentLength: 42, expiresInSeconds: 300 });
    const url = new URL(put.url);
    assert.equal(url.pathname, '/presign-shape/incoming/fotos/u1/full_1.jpg');
    assert.deepEqual(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort(), ['content-length', 'content-type', 'host']);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '300');
    assert.equal(url.searchParams.get('x-amz-checksum-crc32'), null);
    assert.deepEqual(put.headers, { 'content-type': 'image/jpeg', 'content-length': '42' });
  } finally {
    await blobs.close();
  }
});
