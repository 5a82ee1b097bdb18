import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server instance (its own registry: no global singletons). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'biilive_http_requests_total',
    help: 'HTTP requests by route and status class',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'biilive_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly graphqlErrors = new Counter({
    name: 'biilive_graphql_errors_total',
    help: 'GraphQL errors by errorType',
    labelNames: ['errorType'] as const,
    registers: [this.registry],
  });

  readonly mediaRequests = new Counter({
    name: 'biilive_media_requests_total',
    help: 'Media requests (CDN GET/HEAD, presigned PUT/GET) by route, method and status class',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly photoFailures = new Counter({
    name: 'biilive_photo_processing_failures_total',
    help: 'Uploads ProcessProfilePhoto refused (not an image, corrupt, too many pixels...) by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  observeMedia(route: string, method: string, status: number): void {
    this.mediaRequests.inc({ route, method, status: `${Math.floor(status / 100)}xx` });
  }

  observe(route: string, status: number, startedNs: bigint): void {
    this.requests.inc({ route, status: `${Math.floor(status / 100)}xx` });
    this.latency.observe({ route }, Number(process.hrtime.bigint() - startedNs) / 1e9);
  }
}
