/**
 * The body of an S3 write as the bytes to store, checked on the way through: the declared
 * x-amz-content-sha256 (a hex digest, UNSIGNED-PAYLOAD, or STREAMING-UNSIGNED-PAYLOAD-TRAILER with
 * `Content-Encoding: aws-chunked`, which the AWS SDK v3 sends for streams) and any
 * x-amz-checksum-crc32 (header or trailer). A mismatch fails the stream at its end, before the
 * blob store makes the object visible, so nothing is stored.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';

/** A refused body, named as S3 names it. */
export class PayloadError extends Error {
  constructor(
    readonly code: 'XAmzContentSHA256Mismatch' | 'BadDigest' | 'IncompleteBody' | 'InvalidRequest',
    message: string,
  ) {
    super(message);
  }
}

export type PayloadPlan =
  | { ok: true; length: number; open(): Transform[] }
  | { ok: false; status: number; code: string; message: string };

const HEX64 = /^[0-9a-f]{64}$/;

const crcOf = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, 'base64').readUInt32BE(0));

/** Hashes what passes and compares at the end. */
class Check extends Transform {
  private readonly hash = createHash('sha256');
  private crc = 0;
  constructor(
    private readonly sha256?: string,
    private readonly expectedCrc?: () => number | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.sha256) this.hash.update(chunk);
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.sha256 && this.hash.digest('hex') !== this.sha256) {
      return done(new PayloadError('XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.'));
    }
    const crc = this.expectedCrc?.();
    if (crc !== undefined && crc !== this.crc >>> 0) return done(new PayloadError('BadDigest', 'The CRC32 you specified did not match the calculated checksum.'));
    done();
  }
}

/**
 * Decodes `aws-chunked` framing (unsigned chunks: `<hex size>\r\n<bytes>\r\n`, ended by a zero-size
 * chunk and trailer lines), keeping the trailers.
 */
class AwsChunked extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private remaining = -1; // bytes of the current chunk still to pass; -1: reading a size line
  private ended = false;
  readonly trailers: Record<string, string> = {};

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      this.drain();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.ended) return done(new PayloadError('IncompleteBody', 'The aws-chunked body ended before its final chunk.'));
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.ended) {
        const eol = this.buffer.indexOf('\r\n');
        if (eol === -1) return;
        const line = this.buffer.subarray(0, eol).toString('latin1');
        this.buffer = this.buffer.subarray(eol + 2);
        const colon = line.indexOf(':');
        if (colon > 0) this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        continue;
      }
      if (this.remaining === -1) {
        const eol = this.buffer.indexOf('\r\n');
        if (eol === -1) {
          if (this.buffer.length > 4096) throw new PayloadError('InvalidRequest', 'Malformed aws-chunked framing.');
          return;
        }
        const line = this.buffer.subarray(0, eol).toString('latin1');
        this.buffer = this.buffer.subarray(eol + 2);
        const m = /^([0-9a-fA-F]{1,16})(;.*)?$/.exec(line);
        if (!m) throw new PayloadError('InvalidRequest', 'Malformed aws-chunked framing.');
        if (m[2]?.includes('chunk-signature')) throw new PayloadError('InvalidRequest', 'Signed aws-chunked payloads are not supported: send UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER.');
        const size = parseInt(m[1], 16);
        if (size === 0) {
          this.ended = true;
          continue;
        }
        this.remaining = size;
      }
      if (this.remaining > 0) {
        if (this.buffer.length === 0) return;
        const take = Math.min(this.remaining, this.buffer.length);
        this.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
      }
      if (this.remaining === 0) {
        if (this.buffer.length < 2) return;
        if (this.buffer[0] !== 0x0d || this.buffer[1] !== 0x0a) throw new PayloadError('InvalidRequest', 'Malformed aws-chunked framing.');
        this.buffer = this.buffer.subarray(2);
        this.remaining = -1;
      }
    }
  }
}

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** How to read this request's body: its stored length, and the transforms that decode and check it. */
export function planPayload(req: IncomingMessage, payloadHash: string | undefined): PayloadPlan {
  const declared = single(req.headers['x-amz-content-sha256']) ?? payloadHash ?? 'UNSIGNED-PAYLOAD';
  const encoding = single(req.headers['content-encoding']) ?? '';
  const headerCrc = crcOf(single(req.headers['x-amz-checksum-crc32']));
  if (declared.startsWith('STREAMING-') || /\baws-chunked\b/.test(encoding)) {
    if (declared !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      return { ok: false, status: 501, code: 'NotImplemented', message: `${declared} is not supported: send UNSIGNED-PAYLOAD or STREAMING-UNSIGNED-PAYLOAD-TRAILER.` };
    }
    const decoded = single(req.headers['x-amz-decoded-content-length']);
    if (decoded === undefined || !/^\d+$/.test(decoded)) {
      return { ok: false, status: 411, code: 'MissingContentLength', message: 'You must provide the x-amz-decoded-content-length header.' };
    }
    return {
      ok: true,
      length: Number(decoded),
      open() {
        const chunked = new AwsChunked();
        return [chunked, new Check(undefined, () => headerCrc ?? crcOf(chunked.trailers['x-amz-checksum-crc32']))];
      },
    };
  }
  const length = single(req.headers['content-length']);
  if (length === undefined || !/^\d+$/.test(length)) {
    return { ok: false, status: 411, code: 'MissingContentLength', message: 'You must provide the Content-Length HTTP header.' };
  }
  if (declared !== 'UNSIGNED-PAYLOAD' && !HEX64.test(declared)) {
    return { ok: false, status: 400, code: 'InvalidArgument', message: 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a SHA-256 hex digest.' };
  }
  return { ok: true, length: Number(length), open: () => [new Check(HEX64.test(declared) ? declared : undefined, () => headerCrc)] };
}
