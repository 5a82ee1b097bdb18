/**
 * The prom-client instruments of one server (its own registry: no global singletons), built from
 * the catalogue in src/domain/monitoring/metrics.ts, plus the helpers the wiring uses to count a
 * function invocation and to read snapshots for the alarms and the console graphs.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Sample, Snapshot } from '../domain/monitoring/evaluate.ts';
import { METRICS, MONITORED_FUNCTIONS, READ_OPERATIONS, WRITE_OPERATIONS, type MetricKey, type MonitoredFunction } from '../domain/monitoring/metrics.ts';

type Owned = Exclude<MetricKey, 'eventLoopLag'>;
type InstrumentOf<K extends Owned> = (typeof METRICS)[K]['type'] extends 'counter'
  ? Counter<string>
  : (typeof METRICS)[K]['type'] extends 'gauge'
    ? Gauge<string>
    : Histogram<string>;
export type Instruments = { readonly [K in Owned]: InstrumentOf<K> };

export interface RealtimeStats {
  connections: number;
  subscriptions: number;
}

export interface InvocationResult {
  seconds: number;
  error?: unknown;
}

export class SystemMetrics {
  readonly registry = new Registry();
  readonly m: Instruments;
  /** Read at each scrape for the realtime gauges (set once the realtime endpoint exists). */
  realtimeStats?: () => RealtimeStats;

  /** `defaults`: also prom-client's process and Node metrics (event-loop lag among them). */
  constructor(options: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    const made: Record<string, Counter<string> | Gauge<string> | Histogram<string>> = {};
    for (const [key, def] of Object.entries(METRICS)) {
      if ('builtin' in def) continue;
      const base = { name: def.name, help: def.help, labelNames: [...def.labels], registers };
      if (def.type === 'counter') made[key] = new Counter(base);
      else if (def.type === 'histogram') made[key] = new Histogram({ ...base, buckets: [...('buckets' in def ? def.buckets : [])] });
      else if (key === 'realtimeConnections' || key === 'realtimeSubscriptions') {
        const field = key === 'realtimeConnections' ? 'connections' : 'subscriptions';
        const stats = () => this.realtimeStats?.();
        made[key] = new Gauge({
          ...base,
          collect() {
            this.set(stats()?.[field] ?? 0);
          },
        });
      } else made[key] = new Gauge(base);
    }
    this.m = made as unknown as Instruments;
    // Series that alarms and graphs read exist from the start (at 0), so a first event is a change.
    for (const fn of MONITORED_FUNCTIONS) {
      this.m.functionInvocations.inc({ function: fn }, 0);
      this.m.functionErrors.inc({ function: fn }, 0);
    }
    this.m.functionIteratorAge.set({ function: 'UpdateUserCounters' }, 0);
    if (options.defaults !== false) {
      collectDefaultMetrics({ register: this.registry });
      // These walk every libuv handle and resource at each scrape: at 10,000 realtime connections
      // that made a scrape ~14x slower (bench/metrics-scrape.ts). The realtime gauges and
      // process_open_fds report the same growth for the cost of a counter.
      for (const name of EXPENSIVE_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }

  /** Throttle and conflict series of every table at 0 (the store's tables are known at start). */
  initTables(tables: readonly string[]): void {
    for (const table of tables) {
      for (const operation of [...READ_OPERATIONS, ...WRITE_OPERATIONS]) this.m.storeThrottles.inc({ table, operation }, 0);
      this.m.storeConflicts.inc({ table }, 0);
    }
  }

  /** Counts one invocation of a function: invocations, errors and duration, as Lambda reports them. */
  observeInvocation(fn: MonitoredFunction, result: InvocationResult): void {
    this.m.functionInvocations.inc({ function: fn });
    if (result.error !== undefined) this.m.functionErrors.inc({ function: fn });
    this.m.functionDuration.observe({ function: fn }, result.seconds);
  }

  /** Runs `run` as one invocation of `fn` (counted, timed, errors rethrown). */
  async invocation<T>(fn: MonitoredFunction, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const out = await run();
      this.observeInvocation(fn, { seconds: (performance.now() - started) / 1000 });
      return out;
    } catch (error) {
      this.observeInvocation(fn, { seconds: (performance.now() - started) / 1000, error: error ?? new Error('undefined thrown') });
      throw error;
    }
  }

  /** The current values of these Prometheus series names (histograms: `<name>_sum`, `_count`). */
  async snapshot(names: ReadonlySet<string>, at = Date.now()): Promise<Snapshot> {
    const samples: Sample[] = [];
    const wanted = new Set([...names].map(baseName));
    for (const base of wanted) {
      const metric = this.registry.getSingleMetric(base);
      if (!metric) continue;
      const { values } = await metric.get();
      for (const v of values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
        const name = v.metricName ?? base;
        if (!names.has(name)) continue;
        samples.push({ name, labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])), value: v.value });
      }
    }
    return { at, samples };
  }
}

/** Default metrics whose collection is linear in open sockets. */
const EXPENSIVE_DEFAULTS = ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total'];

const METRICS_BY_NAME = new Set<string>(Object.values(METRICS).map((d) => d.name));

/** The registered metric a series name belongs to (`x_sum` and `x_count` belong to histogram `x`). */
function baseName(series: string): string {
  if (METRICS_BY_NAME.has(series)) return series;
  const base = series.replace(/_(sum|count|bucket)$/, '');
  return METRICS_BY_NAME.has(base) ? base : series;
}
