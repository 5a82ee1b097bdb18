/**
 * Presigned URLs of the embedded store, verified by our own media handler (with S3, S3 signs and
 * verifies its own). A URL is a bearer credential until it expires, so everything the server
 * decided is pinned under one HMAC-SHA256: method, key, content type, exact length and expiry.
 *
 *   PUT <base>/media/upload/<key>?expires=<epoch s>&ct=<type>&len=<bytes>&sig=<base64url>
 *   GET <base>/media/object/<key>?expires=<epoch s>&sig=<base64url>
 *
 * The secret is per installation (src/domain/media/signing-secret.ts), never configuration.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PresignCheck, PresignVerifier } from '../../ports/blobs.ts';

export const UPLOAD_PATH = '/media/upload/';
export const DOWNLOAD_PATH = '/media/object/';

export interface UrlSignerOptions {
  secret: Buffer;
  /** Public base URL of the server (no trailing slash needed); a function when known only after listen. */
  baseUrl: string | (() => string);
}

/** Percent-encodes each key segment; keys never contain '%' so decoding is unambiguous. */
export const encodeKeyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export class EmbeddedUrlSigner implements PresignVerifier {
  constructor(private readonly options: UrlSignerOptions) {}

  private base(): string {
    const b = typeof this.options.baseUrl === 'function' ? this.options.baseUrl() : this.options.baseUrl;
    return b.replace(/\/+$/, '');
  }

  private mac(parts: Array<string | number>): string {
    return createHmac('sha256', this.options.secret).update(parts.join('\n')).digest('base64url');
  }

  /** `expiresAt` in epoch ms (rounded up to the second). */
  signPut(key: string, contentType: string, contentLength: number, expiresAt: number): string {
    const expires = Math.ceil(expiresAt / 1000);
    const sig = this.mac(['PUT', key, contentType, contentLength, expires]);
    const q = new URLSearchParams({ expires: String(expires), ct: contentType, len: String(contentLength), sig });
    return `${this.base()}${UPLOAD_PATH}${encodeKeyPath(key)}?${q}`;
  }

  signGet(key: string, expiresAt: number): string {
    const expires = Math.ceil(expiresAt / 1000);
    const sig = this.mac(['GET', key, '', '', expires]);
    return `${this.base()}${DOWNLOAD_PATH}${encodeKeyPath(key)}?${new URLSearchParams({ expires: String(expires), sig })}`;
  }

  verify(request: Parameters<PresignVerifier['verify']>[0]): PresignCheck {
    const { method, key, query, now } = request;
    const expires = query.get('expires') ?? '';
    const sig = query.get('sig') ?? '';
    if (!/^\d{1,12}$/.test(expires) || !sig) return denied('AccessDenied', 'Query-string authentication requires expires and sig');
    const ct = method === 'PUT' ? (query.get('ct') ?? '') : '';
    const len = method === 'PUT' ? (query.get('len') ?? '') : '';
    if (method === 'PUT' && (!ct || !/^\d{1,15}$/.test(len))) return denied('AccessDenied', 'Query-string authentication requires ct and len');
    const expected = Buffer.from(this.mac([method, key, ct, len, expires]));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return denied('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    if (Number(expires) * 1000 <= now) return denied('AccessDenied', 'Request has expired');
    if (method === 'PUT') {
      // The pinned Content-Type is a signed header: any other value breaks the signature, as on S3.
      const sent = (request.contentType ?? '').trim().toLowerCase();
      if (sent !== ct.toLowerCase()) {
        return denied('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your Content-Type.');
      }
      return { ok: true, contentType: ct, contentLength: Number(len) };
    }
    return { ok: true };
  }
}

const denied = (code: 'AccessDenied' | 'SignatureDoesNotMatch', message: string): PresignCheck => ({ ok: false, code, message });
