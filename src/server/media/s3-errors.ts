/** S3-style XML errors for the media endpoints (what S3 and CloudFront clients expect to parse). */
import type { IncomingMessage, ServerResponse } from 'node:http';

const escape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function sendS3Error(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): void {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escape(v)}</${k}>`)
    .join('');
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escape(message)}</Message>${fields}</Error>`;
  // A refused upload may still be sending its body: answer, then close instead of reading it all.
  const unread = !req.complete && req.method !== 'GET' && req.method !== 'HEAD';
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...(unread ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(body);
  if (unread) req.resume();
}
