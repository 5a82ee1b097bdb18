import { SystemMetrics } from '../runtime/metrics.ts';

/**
 * The server's metrics: the system's (store, functions, realtime gauges; src/runtime/metrics.ts)
 * plus what the HTTP edges count. One registry per server instance.
 */
export class ServerMetrics extends SystemMetrics {
  constructor(defaults = true) {
    super({ defaults });
  }

  /** Every HTTP request, by route and status class. */
  observe(route: string, status: number, startedNs: bigint): void {
    this.m.httpRequests.inc({ route, status: `${Math.floor(status / 100)}xx` });
    this.m.httpLatency.observe({ route }, Number(process.hrtime.bigint() - startedNs) / 1e9);
  }

  /** A media request: behaviour path (`/fotos/*`, `upload`, `download`), method, status, bytes sent. */
  observeMedia(behaviour: string, method: string, status: number, bytes: number): void {
    this.m.mediaRequests.inc({ behaviour, method, status: `${Math.floor(status / 100)}xx` });
    if (bytes > 0) this.m.mediaBytes.inc({ behaviour }, bytes);
  }

  /** A GraphQL request: its operation (root field), auth mode, errors by errorType, latency. */
  observeApi(operation: string, authMode: string, errorTypes: readonly string[], seconds: number): void {
    this.m.apiRequests.inc({ operation, auth_mode: authMode });
    for (const errorType of errorTypes) this.m.apiErrors.inc({ operation, auth_mode: authMode, error_type: errorType });
    this.m.apiLatency.observe({ operation, auth_mode: authMode }, seconds);
  }

  /** An identity endpoint request: its action, the Cognito exception name when it failed, latency. */
  observeIdentity(action: string, errorType: string | undefined, seconds: number): void {
    this.m.identityRequests.inc({ action });
    if (errorType) this.m.identityErrors.inc({ action, error_type: errorType });
    this.m.identityLatency.observe({ action }, seconds);
  }
}
