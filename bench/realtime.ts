/**
 * Real time on the embedded server, each side in its own process, loopback only, bounded:
 * - fan-out: N subscribers of one onMessageReceived(receiverId), M sendMessage mutations a second;
 *   delivery latency (p50/p99) from each mutation's HTTP response to each receipt, beside a bare
 *   `ws` server that broadcasts each POSTed body to N plain sockets, measured the same way;
 * - capacity: idle authenticated connections (one subscription each) opened in steps up to a
 *   target, with the server's RSS at each step and per 1,000 connections.
 * Prints one JSON object.
 *   node --import tsx bench/realtime.ts [subscribers=500] [perSecond=20] [seconds=10] [maxConnections=10000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { biiliveBin, startProcess } from './support/processes.ts';
import { cognitoCall } from './support/cognito.ts';

const [subscribers, perSecond, seconds, maxConnections] = [500, 20, 10, 10_000].map((d, i) => Number(process.argv[2 + i] ?? d));
const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'biilive-bench-rt-'));

const cognito = cognitoCall;

/** Runs the client process; `onLine` sees each JSON line and may answer on its stdin. */
function clients(job: object, onLine: (line: Record<string, unknown>, reply: () => void) => void | Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/realtime-clients.ts', JSON.stringify(job)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => void onLine(JSON.parse(line) as Record<string, unknown>, () => child.stdin!.write('next\n')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('client process timed out'))), 600_000);
    child.once('exit', (code) => (clearTimeout(timer), code === 0 ? resolve() : reject(new Error(`clients exited with ${code}`))));
  });
}

const rssMb = (pid: number) => {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return Math.round(kb / 102.4) / 10;
};

const server = await startProcess(
  [biiliveBin, 'serve', '--port', '0', '--data-dir', dataDir, '--auto-confirm', '--log-level', 'warn'],
  /API key:\s+\S+/,
  // Bench connections come from one address at a high rate; keep-alives stay at the default cadence.
  { BIILIVE_REALTIME_INIT_TIMEOUT_MS: '60000' },
);
try {
  const out = server.stdout;
  const graphqlUrl = /GraphQL:\s+(\S+)/.exec(out)![1];
  const realtimeUrl = /Realtime:\s+(\S+)/.exec(out)![1];
  const cognitoUrl = /Identity endpoint:\s+(\S+)/.exec(out)![1];
  const clientId = /Client id:\s+(\S+)/.exec(out)![1];
  const host = new URL(graphqlUrl).host;
  const tokens: Record<string, { sub: string; token: string }> = {};
  for (const name of ['sender', 'receiver']) {
    const up = await cognito(cognitoUrl, 'SignUp', {
      ClientId: clientId,
      Username: `bench${name}`,
      Password: 'Bench-Passw0rd!',
      UserAttributes: [{ Name: 'email', Value: `${name}@example.com` }],
    });
    const auth = await cognito(cognitoUrl, 'InitiateAuth', {
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: `bench${name}`, PASSWORD: 'Bench-Passw0rd!' },
    });
    tokens[name] = { sub: up.UserSub as string, token: (auth.AuthenticationResult as { AccessToken: string }).AccessToken };
  }
  const receiverHeader = { host, Authorization: tokens.receiver.token };
  const subscription = {
    query: 'subscription($r: ID) { onMessageReceived(receiverId: $r) { messageId senderId receiverId message createdAt } }',
    variables: { r: tokens.receiver.sub },
  };
  const sendBody = JSON.stringify({
    query: 'mutation($r: ID!, $m: String!) { sendMessage(receiverId: $r, message: $m) { messageId senderId receiverId message createdAt } }',
    variables: { r: tokens.receiver.sub, m: 'm$SEQx' },
  });

  const results: Record<string, unknown> = {};
  await clients(
    {
      mode: 'fanout',
      kind: 'appsync',
      wsUrl: realtimeUrl,
      header: receiverHeader,
      ...subscription,
      subscribers,
      publishUrl: graphqlUrl,
      publishHeaders: { 'content-type': 'application/json', authorization: tokens.sender.token },
      publishBody: sendBody,
      perSecond,
      seconds,
    },
    (line) => void (results.appsync = line),
  );

  const baseline = await startProcess(['bench/support/ws-broadcast.mjs'], /listening \d+/);
  try {
    const port = /listening (\d+)/.exec(baseline.stdout)![1];
    // The same frame AppSync clients receive, so both sides parse and send the same bytes.
    const frame = JSON.stringify({
      type: 'data',
      id: '1',
      payload: { data: { onMessageReceived: { messageId: 'x'.repeat(36), senderId: tokens.sender.sub, receiverId: tokens.receiver.sub, message: 'm$SEQx', createdAt: new Date().toISOString() } } },
    });
    await clients(
      {
        mode: 'fanout',
        kind: 'raw',
        wsUrl: `ws://127.0.0.1:${port}/`,
        subscribers,
        publishUrl: `http://127.0.0.1:${port}/publish`,
        publishHeaders: { 'content-type': 'application/json' },
        publishBody: frame,
        perSecond,
        seconds,
      },
      (line) => void (results.baseline = line),
    );
  } finally {
    await baseline.stop();
  }

  const idleRss = rssMb(server.child.pid!);
  const steps = [1000, 2500, 5000, 7500, 10_000, 15_000, 20_000].filter((s) => s <= maxConnections);
  if (!steps.includes(maxConnections)) steps.push(maxConnections);
  const capacity: Array<Record<string, unknown>> = [];
  await clients({ mode: 'capacity', wsUrl: realtimeUrl, header: receiverHeader, ...subscription, steps }, async (line, reply) => {
    if (line.done) return;
    // Let the server settle (acks sent, presence written) before reading its RSS.
    await new Promise((r) => setTimeout(r, 1500));
    const rss = rssMb(server.child.pid!);
    capacity.push({ ...line, serverRssMb: rss, rssPer1000Mb: Math.round(((rss - idleRss) / Number(line.open)) * 1000 * 10) / 10 });
    reply();
  });

  type Fan = { fromResponseMs: { p50: number; p99: number }; fromRequestMs: { p50: number; p99: number } };
  const a = results.appsync as Fan;
  const b = results.baseline as Fan;
  const ratio = (x: number, y: number) => +(x / Math.max(y, 0.001)).toFixed(2);
  const last = capacity.at(-1) ?? {};
  console.log(
    JSON.stringify(
      {
        bench: 'realtime: AppSync WebSocket fan-out and idle connection capacity, embedded server',
        machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
        fanout: {
          appsync: results.appsync,
          baseline: { what: 'bare ws server broadcasting each POSTed frame to plain sockets', ...(results.baseline as object) },
          ratio: {
            fromResponse: { p50: ratio(a.fromResponseMs.p50, b.fromResponseMs.p50), p99: ratio(a.fromResponseMs.p99, b.fromResponseMs.p99) },
            fromRequest: { p50: ratio(a.fromRequestMs.p50, b.fromRequestMs.p50), p99: ratio(a.fromRequestMs.p99, b.fromRequestMs.p99) },
          },
        },
        capacity: { idleServerRssMb: idleRss, steps: capacity, held: last.open, rssPer1000Mb: last.rssPer1000Mb },
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
