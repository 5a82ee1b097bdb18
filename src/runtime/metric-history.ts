/**
 * The console's live graphs: every `sampleSeconds` the server samples the series the dashboard
 * rows read and keeps, per row, one value per line per step (summed over instances for counts,
 * the worst instance otherwise), for the last `historySamples` steps.
 */
import { MONITORING, sampleNamesOf, type Unit } from '../domain/monitoring/definition.ts';
import { overall, valueOver, type Snapshot } from '../domain/monitoring/evaluate.ts';
import type { Logger } from '../ports/logger.ts';
import type { SystemMetrics } from './metrics.ts';

export interface Graph {
  title: string;
  lines: Array<{ label: string; unit: Unit }>;
  /** Epoch ms of each step's end. */
  times: number[];
  /** One array per line, aligned with `times`; null = no datapoint in that step. */
  values: Array<Array<number | null>>;
}

const rows = MONITORING.dashboard.rows.map((row) => ({ row, lines: row.lines.filter((l) => l.local) }));

export class MetricHistory {
  private readonly names = new Set(rows.flatMap((r) => r.lines.flatMap((l) => sampleNamesOf(l.local!))));
  private readonly graphs: Graph[] = rows.map(({ row, lines }) => ({
    title: row.title,
    lines: lines.map((l) => ({ label: l.label, unit: l.unit })),
    times: [],
    values: lines.map(() => []),
  }));
  private timer?: NodeJS.Timeout;
  private previous?: Snapshot;

  constructor(private readonly o: { metrics: SystemMetrics; sampleSeconds: number; historySamples: number; log: Logger }) {}

  async start(): Promise<void> {
    this.previous = await this.o.metrics.snapshot(this.names);
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.sample()
        .catch((err: unknown) => this.o.log.warn({ err }, 'metrics sample failed'))
        .finally(() => (busy = false));
    }, this.o.sampleSeconds * 1000);
    this.timer.unref();
  }

  /** Takes one step now (the timer's work). */
  async sample(): Promise<void> {
    const now = await this.o.metrics.snapshot(this.names);
    const from = this.previous;
    this.previous = now;
    rows.forEach(({ row, lines }, i) => {
      const graph = this.graphs[i];
      graph.times.push(now.at);
      lines.forEach((line, j) => {
        const v = overall(valueOver(line.local!, row.per, from, now), line.local!);
        graph.values[j].push(v === undefined ? null : Math.round(v * 1000) / 1000);
      });
      if (graph.times.length > this.o.historySamples) {
        graph.times.shift();
        for (const series of graph.values) series.shift();
      }
    });
  }

  /** Copies of the graphs, oldest step first. */
  read(): Graph[] {
    return this.graphs.map((g) => ({ ...g, lines: [...g.lines], times: [...g.times], values: g.values.map((v) => [...v]) }));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
