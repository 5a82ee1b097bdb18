/**
 * The client side of bench/realtime.ts, in its own process so the server's figures are its own.
 * Reads one JSON job from argv[2], prints JSON lines on stdout.
 * - fanout: N subscribers (AppSync protocol, or plain sockets for the baseline), then M publishes a
 *   second over HTTP for S seconds; reports delivery latency from each publish's HTTP response (and
 *   from its request) to each receipt.
 * - capacity: opens authenticated connections with one subscription each, in steps; after each step
 *   prints {"step":n} and waits for a line on stdin (the parent reads the server's RSS meanwhile).
 */
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

interface FanoutJob {
  mode: 'fanout';
  kind: 'appsync' | 'raw';
  wsUrl: string;
  /** AppSync: header object for the handshake and each start. */
  header?: Record<string, string>;
  query?: string;
  variables?: Record<string, unknown>;
  subscribers: number;
  publishUrl: string;
  publishHeaders: Record<string, string>;
  /** `$SEQ` is replaced by the publish's sequence number. */
  publishBody: string;
  perSecond: number;
  seconds: number;
}

interface CapacityJob {
  mode: 'capacity';
  wsUrl: string;
  header: Record<string, string>;
  query: string;
  variables?: Record<string, unknown>;
  steps: number[];
}

const job = JSON.parse(process.argv[2]) as FanoutJob | CapacityJob;
const out = (v: object) => process.stdout.write(`${JSON.stringify(v)}\n`);
const protocols = (header?: Record<string, string>) =>
  header ? ['graphql-ws', `header-${Buffer.from(JSON.stringify(header)).toString('base64url')}`] : ['graphql-ws'];

/** Opens one AppSync subscription socket; `onData` gets each data frame's raw text. */
function subscribe(j: { wsUrl: string; header?: Record<string, string>; query?: string; variables?: Record<string, unknown> }, onData: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(j.wsUrl, protocols(j.header), { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('subscribe timeout')), 30_000);
    ws.on('error', (err) => (clearTimeout(timer), reject(err)));
    ws.on('open', () => ws.send('{"type":"connection_init"}'));
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text.startsWith('{"type":"data"')) return onData(text);
      if (text.includes('"connection_ack"')) {
        ws.send(JSON.stringify({ id: '1', type: 'start', payload: { data: JSON.stringify({ query: j.query, variables: j.variables }), extensions: { authorization: j.header } } }));
      } else if (text.includes('"start_ack"')) {
        clearTimeout(timer);
        resolve(ws);
      } else if (text.includes('"error"')) {
        clearTimeout(timer);
        reject(new Error(text));
      }
    });
  });
}

function raw(url: string, onData: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', reject);
    ws.on('open', () => resolve(ws));
    ws.on('message', (data) => onData(data.toString()));
  });
}

async function inBatches<T>(count: number, batch: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const all: T[] = [];
  for (let i = 0; i < count; i += batch) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, k) => open(i + k)))));
  }
  return all;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const round = (n: number) => Math.round(n * 1000) / 1000;

async function fanout(j: FanoutJob) {
  const sentAt: number[] = [];
  const answeredAt: number[] = [];
  const receipts: Array<[number, number]> = [];
  const seqOf = /m(\d+)x/;
  const onData = (text: string) => {
    const now = performance.now();
    const m = seqOf.exec(text);
    if (m) receipts.push([Number(m[1]), now]);
  };
  const sockets = await inBatches(j.subscribers, 100, () => (j.kind === 'raw' ? raw(j.wsUrl, onData) : subscribe(j, onData)));
  const total = Math.round(j.perSecond * j.seconds);
  const interval = 1000 / j.perSecond;
  const started = performance.now();
  let failures = 0;
  const inflight: Promise<void>[] = [];
  for (let seq = 0; seq < total; seq++) {
    const due = started + seq * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt[seq] = performance.now();
    inflight.push(
      fetch(j.publishUrl, { method: 'POST', headers: j.publishHeaders, body: j.publishBody.replace('$SEQ', String(seq)) })
        .then(async (res) => {
          const body = await res.text();
          answeredAt[seq] = performance.now();
          if (!res.ok || body.includes('"errors"')) failures++;
        })
        .catch(() => void failures++),
    );
  }
  await Promise.all(inflight);
  // Let the last deliveries arrive (bounded).
  const expected = total * j.subscribers;
  const deadline = performance.now() + 10_000;
  while (receipts.length < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const fromResponse = receipts.map(([seq, at]) => at - answeredAt[seq]).sort((a, b) => a - b);
  const fromRequest = receipts.map(([seq, at]) => at - sentAt[seq]).sort((a, b) => a - b);
  const httpMs = answeredAt.map((t, i) => t - sentAt[i]).sort((a, b) => a - b);
  for (const ws of sockets) ws.terminate();
  out({
    kind: j.kind,
    subscribers: j.subscribers,
    publishesPerSecond: j.perSecond,
    publishes: total,
    publishFailures: failures,
    deliveries: receipts.length,
    expectedDeliveries: expected,
    fromResponseMs: { p50: round(percentile(fromResponse, 50)), p99: round(percentile(fromResponse, 99)), max: round(fromResponse.at(-1) ?? NaN) },
    fromRequestMs: { p50: round(percentile(fromRequest, 50)), p99: round(percentile(fromRequest, 99)) },
    publishHttpMs: { p50: round(percentile(httpMs, 50)), p99: round(percentile(httpMs, 99)) },
  });
}

async function capacity(j: CapacityJob) {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const sockets: WebSocket[] = [];
  let failed = 0;
  let lastError = '';
  for (const step of j.steps) {
    const need = step - sockets.length;
    await inBatches(need, 250, () =>
      subscribe(j, () => undefined).then(
        (ws) => void sockets.push(ws),
        (err: Error) => {
          failed++;
          lastError = err.message;
        },
      ),
    );
    out({ step, open: sockets.length, failed, lastError });
    if (failed > 0) break;
    await lines.next();
  }
  for (const ws of sockets) ws.terminate();
  out({ done: true });
}

if (job.mode === 'fanout') await fanout(job);
else await capacity(job);
process.exit(0);
