/**
 * A stand-in for CloudFront's control plane (no real one can run here): a loopback HTTP server
 * answering CreateInvalidation as CloudFront's REST API does, recording each request, so a
 * function in another process can be pointed at it with AWS_ENDPOINT_URL_CLOUDFRONT.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedInvalidation {
  distributionId: string;
  paths: string[];
  callerReference: string;
}

export interface CloudFrontStandIn {
  endpoint: string;
  invalidations: RecordedInvalidation[];
  stop(): Promise<void>;
}

const tag = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

export async function startCloudFrontStandIn(): Promise<CloudFrontStandIn> {
  const invalidations: RecordedInvalidation[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const match = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'text/xml' });
        res.end('<ErrorResponse><Error><Code>NoSuchResource</Code></Error></ErrorResponse>');
        return;
      }
      const paths = tag(body, 'Path');
      const callerReference = tag(body, 'CallerReference')[0] ?? '';
      invalidations.push({ distributionId: decodeURIComponent(match[1]), paths, callerReference });
      const id = `I${invalidations.length}`;
      res.writeHead(201, { 'content-type': 'text/xml', location: `/2020-05-31/distribution/${match[1]}/invalidation/${id}` });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${id}</Id><Status>InProgress</Status>` +
          `<CreateTime>${new Date().toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>` +
          paths.map((p) => `<Path>${p}</Path>`).join('') +
          `</Items></Paths><CallerReference>${callerReference}</CallerReference></InvalidationBatch></Invalidation>`,
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invalidations,
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
