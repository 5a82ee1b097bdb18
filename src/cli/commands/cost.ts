import type { Command } from 'commander';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { countedUsage, estimate, MONTH_SECONDS, projectMonth, SEED_USAGE, type CostEstimate } from '../../domain/monitoring/cost.ts';
import { ExpositionError, parseExposition } from '../../domain/monitoring/exposition.ts';
import { readRuntimeFile } from '../../runtime/endpoints.ts';

/** How long a metrics scrape may take. */
const SCRAPE_TIMEOUT_MS = 10_000;
/** Largest /metrics page read. */
const SCRAPE_MAX_BYTES = 64 * 1024 * 1024;

const NOT_AVAILABLE = "The seed's own five figures were not available to this project: this is the seed's usage model priced here.";

/**
 * `biilive cost`: the seed's monthly estimate from its usage model at eu-west-3 list prices, with
 * the price date; `--from-metrics URL` or `--data-dir D` (the server running there) also projects
 * a month from the usage that server counted since it started.
 */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description("the seed's monthly AWS cost estimate (eu-west-3 prices); with --from-metrics/--data-dir, a month projected from counted usage")
    .option('--from-metrics <url>', 'scrape this /metrics URL (a running BiiLive server) and project a month from its counts')
    .option('--data-dir <dir>', 'project from the server running on this data directory')
    .option('--json', 'print as JSON')
    .action(async (opts, cmd: Command) => {
      if (opts.fromMetrics && opts.dataDir) return cmd.error('biilive: give --from-metrics or --data-dir, not both', { exitCode: 2 });
      const model = estimate(SEED_USAGE);
      let projection: { estimate: CostEstimate; countedSeconds: number; source: string } | undefined;
      if (opts.fromMetrics || opts.dataDir) {
        const target = opts.fromMetrics ? metricsUrl(opts.fromMetrics, cmd) : fromDataDir(opts.dataDir, cmd);
        let text: string;
        try {
          text = await scrape(target.url, target.ca);
        } catch (err) {
          return fail(`cannot read ${target.url}: ${(err as Error).message}`);
        }
        try {
          const counted = countedUsage(parseExposition(text), Date.now() / 1000);
          projection = { estimate: estimate(projectMonth(counted)), countedSeconds: counted.seconds, source: target.url };
        } catch (err) {
          if (!(err instanceof ExpositionError) && !/process_start_time_seconds/.test((err as Error).message)) throw err;
          return fail(`${target.url} is not a BiiLive /metrics page (${(err as Error).message})`);
        }
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ note: NOT_AVAILABLE, model, projection: projection ?? null }, null, 2)}\n`);
        return;
      }
      process.stdout.write(render(model, projection));
    });
}

/** A run-time failure (not a usage error): exit code 1. */
function fail(message: string): void {
  process.stderr.write(`biilive: ${message}\n`);
  process.exitCode = 1;
}

function metricsUrl(given: string, cmd: Command): { url: string; ca?: Buffer } {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return cmd.error(`biilive: --from-metrics must be a URL, got ${JSON.stringify(given)}`, { exitCode: 2 });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return cmd.error('biilive: --from-metrics must be an http(s) URL', { exitCode: 2 });
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrics';
  return { url: url.href };
}

function fromDataDir(dir: string, cmd: Command): { url: string; ca?: Buffer } {
  const live = readRuntimeFile(resolve(dir));
  if (!live) return cmd.error(`biilive: no server is running on ${dir} (start one, or give --from-metrics URL)`, { exitCode: 2 });
  const ca = live.tlsCertPath && existsSync(live.tlsCertPath) ? readFileSync(live.tlsCertPath) : undefined;
  return { url: new URL('metrics', live.cognitoEndpoint).href, ca };
}

function scrape(url: string, ca?: Buffer): Promise<string> {
  return new Promise((ok, fail) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { timeout: SCRAPE_TIMEOUT_MS, ...(ca ? { ca } : {}) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return fail(new Error(`HTTP ${res.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > SCRAPE_MAX_BYTES) req.destroy(new Error(`more than ${SCRAPE_MAX_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${SCRAPE_TIMEOUT_MS / 1000} s`)));
    req.on('error', fail);
  });
}

const usd = (v: number) => `$${v.toFixed(2)}`;

function render(model: CostEstimate, projection?: { estimate: CostEstimate; countedSeconds: number; source: string }): string {
  const rows: string[][] = [['service', 'model usage', 'model', ...(projection ? ['counted usage, per month', 'projected'] : [])]];
  model.lines.forEach((line, i) => {
    const p = projection?.estimate.lines[i];
    rows.push([line.name, line.usage, usd(line.usd), ...(p ? [p.usage, usd(p.usd)] : [])]);
  });
  rows.push(['total', '', usd(model.totalUsd), ...(projection ? ['', usd(projection.estimate.totalUsd)] : [])]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const money = new Set([2, 4]);
  const table = rows.map((r) => r.map((cell, c) => (money.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
  const lines = [
    `BiiLive monthly cost estimate: ${model.region} list prices as of ${model.priceDate} (USD, no free tier, ${MONTH_SECONDS / 3600} h a month)`,
    NOT_AVAILABLE,
    ...(projection
      ? [`Projected from ${projection.source}: counted over ${Math.round(projection.countedSeconds)} s, scaled to a month; storage is not counted (model figures).`]
      : []),
    '',
    ...table,
  ];
  return `${lines.join('\n')}\n`;
}
