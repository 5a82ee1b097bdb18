/**
 * What a Prometheus scrape of `/metrics` costs the embedded server while it holds many realtime
 * connections (the realtime gauges walk every connection at each scrape). Loopback only, bounded:
 * the server and the clients run in their own processes; the clients open authenticated
 * connections with one subscription each (bench/support/realtime-clients.ts, capacity mode).
 * Same-run baselines: the same scrape with no connection open, and `GET /healthz` (the HTTP floor)
 * at the same connection count. Prints one JSON object.
 *   node --import tsx bench/metrics-scrape.ts [connections=10000] [scrapes=200]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { biiliveBin, startProcess } from './support/processes.ts';
import { cognitoCall } from './support/cognito.ts';

const [connections, scrapes] = [10_000, 200].map((d, i) => Number(process.argv[2 + i] ?? d));
const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'biilive-bench-scrape-'));

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (n: number) => Math.round(n * 1000) / 1000;

/** `count` sequential GETs of `url`: latency p50/p99/mean (ms) and the body size. */
async function measure(url: string, count: number) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    const body = await res.arrayBuffer();
    times.push(performance.now() - started);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  return { p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), meanMs: round(times.reduce((a, b) => a + b, 0) / times.length), bytes };
}

const server = await startProcess(
  [biiliveBin, 'serve', '--port', '0', '--data-dir', dataDir, '--auto-confirm', '--log-level', 'warn'],
  /API key:\s+\S+/,
  { BIILIVE_REALTIME_INIT_TIMEOUT_MS: '60000' },
);
try {
  const out = server.stdout;
  const graphqlUrl = /GraphQL:\s+(\S+)/.exec(out)![1];
  const realtimeUrl = /Realtime:\s+(\S+)/.exec(out)![1];
  const cognitoUrl = /Identity endpoint:\s+(\S+)/.exec(out)![1];
  const clientId = /Client id:\s+(\S+)/.exec(out)![1];
  const apiKey = /API key:\s+(\S+)/.exec(out)![1];
  const base = cognitoUrl.replace(/\/$/, '');
  const host = new URL(graphqlUrl).host;
  const up = await cognitoCall(cognitoUrl, 'SignUp', { ClientId: clientId, Username: 'benchscrape', Password: 'Bench-Passw0rd!', UserAttributes: [{ Name: 'email', Value: 's@example.com' }] });
  const auth = await cognitoCall(cognitoUrl, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'benchscrape', PASSWORD: 'Bench-Passw0rd!' } });
  const token = (auth.AuthenticationResult as { AccessToken: string }).AccessToken;
  // Some traffic first, so the page has the series a live server has (operations, tables, functions).
  for (let i = 0; i < 200; i++) {
    await fetch(graphqlUrl, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query ($id: ID!) { getUser(userId: $id) { nickname } }', variables: { id: up.UserSub } }) });
  }

  const idle = { metrics: await measure(`${base}/metrics`, scrapes), healthz: await measure(`${base}/healthz`, scrapes) };

  const header = { host, Authorization: token };
  const job = {
    mode: 'capacity',
    wsUrl: realtimeUrl,
    header,
    query: 'subscription($r: ID) { onMessageReceived(receiverId: $r) { messageId } }',
    variables: { r: up.UserSub },
    steps: [connections],
  };
  let loaded: { open: number; metrics: Awaited<ReturnType<typeof measure>>; healthz: Awaited<ReturnType<typeof measure>>; gauges: string[] } | undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/realtime-clients.ts', JSON.stringify(job)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as { open?: number; done?: boolean };
    if (msg.done) return;
    void (async () => {
      const metrics = await measure(`${base}/metrics`, scrapes);
      const healthz = await measure(`${base}/healthz`, scrapes);
      const page = await (await fetch(`${base}/metrics`)).text();
      loaded = { open: msg.open ?? 0, metrics, healthz, gauges: page.split('\n').filter((l) => /^biilive_realtime_(connections|subscriptions) /.test(l)) };
      child.stdin!.write('next\n');
    })();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('client process timed out'))), 600_000);
    child.once('exit', (code) => (clearTimeout(timer), code === 0 ? resolve() : reject(new Error(`clients exited with ${code}`))));
  });
  if (!loaded) throw new Error('the clients never reported their connections');

  const ratio = (a: number, b: number) => +(a / Math.max(b, 0.001)).toFixed(2);
  console.log(
    JSON.stringify(
      {
        bench: '/metrics scrape cost with many realtime connections, embedded server',
        machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
        scrapes,
        atConnections: { connections: loaded.open, gauges: loaded.gauges, metrics: loaded.metrics, healthz: loaded.healthz },
        baselines: { noConnections: idle },
        ratio: {
          scrapeVsNoConnections: { p50: ratio(loaded.metrics.p50Ms, idle.metrics.p50Ms), p99: ratio(loaded.metrics.p99Ms, idle.metrics.p99Ms) },
          scrapeVsHealthzSameLoad: { p50: ratio(loaded.metrics.p50Ms, loaded.healthz.p50Ms), p99: ratio(loaded.metrics.p99Ms, loaded.healthz.p99Ms) },
        },
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
