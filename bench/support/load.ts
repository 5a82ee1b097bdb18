import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** Drives load on loopback for a bounded time; returns median-ish figures from autocannon. */
export async function load(options: {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSeconds?: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    connections: options.connections ?? 20,
    duration: options.durationSeconds ?? 8,
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/**
 * autocannon with a different token and body on every request (`load` above sends one fixed body);
 * a reply carrying GraphQL errors counts as an error. Runs at least `minSeconds`, then until
 * `done()` (checked every 100 ms; capped at 5 minutes).
 */
export function variedLoad(url: string, connections: number, next: () => { token: string; body: string }) {
  return (minSeconds: number, done: () => boolean = () => true): Promise<LoadResult & { seconds: number; graphqlErrors: number }> =>
    new Promise((resolve, reject) => {
      let graphqlErrors = 0;
      const started = performance.now();
      const instance = autocannon(
        {
          url,
          connections,
          duration: 300,
          requests: [
            {
              method: 'POST',
              setupRequest: (req) => {
                const { token, body } = next();
                return { ...req, body, headers: { 'content-type': 'application/json', authorization: token } };
              },
              onResponse: (_status, body) => {
                if (body.includes('"errors"')) graphqlErrors++;
              },
            },
          ],
        },
        (err, result) => {
          clearInterval(timer);
          if (err) return reject(err);
          resolve({
            requestsPerSecond: Math.round(result.requests.average),
            p50Ms: result.latency.p50,
            p99Ms: result.latency.p99,
            errors: result.errors,
            non2xx: result.non2xx,
            seconds: Math.round((performance.now() - started) / 100) / 10,
            graphqlErrors,
          });
        },
      );
      const timer = setInterval(() => {
        if (performance.now() - started >= minSeconds * 1000 && done()) instance.stop();
      }, 100);
    });
}

/** Runs `fn` over `items` with at most `concurrency` in flight (bench set-up). */
export async function runAll<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}
