/**
 * The alarms the embedded and scaled-out server evaluates itself, from the one monitoring
 * definition: at the end of every period it reads its own metrics, computes each alarm's
 * datapoint per instance (each function, each table, the API, media) and applies CloudWatch's
 * rules (domain/monitoring/evaluate.ts). State changes are logged and, when configured, POSTed
 * to a webhook. Each replica judges its own traffic; Prometheus rules (`biilive ops export`)
 * judge the sum of all replicas.
 */
import { localAlarms, sampleNamesOf, SINGLE_INSTANCE, INSTANCE_LABEL, type AlarmSpec, type LocalValue } from '../domain/monitoring/definition.ts';
import { decide, valueOver, type AlarmState, type Snapshot } from '../domain/monitoring/evaluate.ts';
import type { Logger } from '../ports/logger.ts';
import type { SystemMetrics } from './metrics.ts';

/** One alarm on one instance, as `/alarms` shows it. */
export interface AlarmStatus {
  id: string;
  description: string;
  instance: string;
  state: AlarmState;
  reason: string;
  /** ISO time of the last state change (or of the start). */
  since: string;
  threshold: number;
  unit: AlarmSpec['unit'];
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** The latest datapoints, oldest first (null = missing). */
  datapoints: Array<number | null>;
}

export interface AlarmTransition {
  alarm: string;
  description: string;
  instance: string;
  from: AlarmState;
  to: AlarmState;
  reason: string;
  value: number | null;
  threshold: number;
  at: string;
}

export interface AlarmEvaluatorOptions {
  metrics: SystemMetrics;
  log: Logger;
  /** Every alarm's period instead of its own (config monitoring.alarmPeriodSeconds). */
  periodSeconds?: number;
  webhook?: { url: string; timeoutMs: number };
  /** Sees every transition (after logging), e.g. tests and the console. */
  onTransition?: (t: AlarmTransition) => void;
}

type Local = AlarmSpec & { local: LocalValue };

interface Tracked {
  spec: Local;
  instance: string;
  state: AlarmState;
  reason: string;
  since: string;
  datapoints: Array<number | undefined>;
}

const KEEP_DATAPOINTS = 10;

export class AlarmEvaluator {
  private readonly alarms = localAlarms();
  private readonly tracked = new Map<string, Tracked>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly webhooks = new Set<Promise<void>>();
  private readonly startedAt = new Date().toISOString();
  private stopped = false;

  constructor(private readonly o: AlarmEvaluatorOptions) {}

  periodOf(spec: AlarmSpec): number {
    return this.o.periodSeconds ?? spec.periodSeconds;
  }

  /** One timer per distinct period; each tick judges the period that just ended. */
  async start(): Promise<void> {
    const byPeriod = new Map<number, Local[]>();
    for (const a of this.alarms) byPeriod.set(this.periodOf(a), [...(byPeriod.get(this.periodOf(a)) ?? []), a]);
    for (const [period, alarms] of byPeriod) {
      const names = new Set(alarms.flatMap((a) => sampleNamesOf(a.local)));
      let previous = await this.o.metrics.snapshot(names);
      let busy = false;
      const timer = setInterval(() => {
        if (busy || this.stopped) return;
        busy = true;
        void this.o.metrics
          .snapshot(names)
          .then((now) => {
            this.judge(alarms, previous, now);
            previous = now;
          })
          .catch((err: unknown) => this.o.log.warn({ err }, 'alarm evaluation failed'))
          .finally(() => (busy = false));
      }, period * 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Applies one period's datapoints (exposed for tests that drive periods themselves). */
  judge(alarms: readonly Local[], from: Snapshot, to: Snapshot): void {
    for (const spec of alarms) {
      const values = valueOver(spec.local, spec.per, from, to);
      const instances = new Set([...values.keys(), ...[...this.tracked.values()].filter((t) => t.spec.id === spec.id).map((t) => t.instance)]);
      if (!INSTANCE_LABEL[spec.per]) instances.add(SINGLE_INSTANCE[spec.per]);
      for (const instance of instances) {
        const t = this.track(spec, instance);
        t.datapoints.push(values.get(instance));
        if (t.datapoints.length > KEEP_DATAPOINTS) t.datapoints.shift();
        const decision = decide(spec, t.datapoints, t.state);
        t.reason = decision.reason;
        if (decision.state !== t.state) this.transition(t, decision.state, to.at);
      }
    }
  }

  status(): AlarmStatus[] {
    const out: AlarmStatus[] = [];
    for (const spec of this.alarms) {
      const mine = [...this.tracked.values()].filter((t) => t.spec.id === spec.id);
      const rows = mine.length ? mine : [{ spec, instance: INSTANCE_LABEL[spec.per] ? '*' : SINGLE_INSTANCE[spec.per], state: 'INSUFFICIENT_DATA' as const, reason: 'no complete period yet', since: this.startedAt, datapoints: [] }];
      for (const t of rows.sort((a, b) => a.instance.localeCompare(b.instance))) {
        out.push({
          id: spec.id,
          description: spec.description,
          instance: t.instance,
          state: t.state,
          reason: t.reason,
          since: t.since,
          threshold: spec.threshold,
          unit: spec.unit,
          periodSeconds: this.periodOf(spec),
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          datapoints: t.datapoints.map((v) => (v === undefined ? null : v)),
        });
      }
    }
    return out;
  }

  /** Stops the timers and waits for webhook calls in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.webhooks);
  }

  private track(spec: Local, instance: string): Tracked {
    const key = `${spec.id}\u0000${instance}`;
    let t = this.tracked.get(key);
    if (!t) this.tracked.set(key, (t = { spec, instance, state: 'INSUFFICIENT_DATA', reason: 'no complete period yet', since: this.startedAt, datapoints: [] }));
    return t;
  }

  private transition(t: Tracked, to: AlarmState, atMs: number): void {
    const at = new Date(atMs).toISOString();
    const last = t.datapoints[t.datapoints.length - 1];
    const event: AlarmTransition = {
      alarm: t.spec.id,
      description: t.spec.description,
      instance: t.instance,
      from: t.state,
      to,
      reason: t.reason,
      value: last === undefined ? null : last,
      threshold: t.spec.threshold,
      at,
    };
    t.state = to;
    t.since = at;
    const fields = { alarm: event.alarm, instance: event.instance, from: event.from, to, reason: event.reason };
    if (to === 'ALARM') this.o.log.warn(fields, `alarm ${event.alarm} (${event.instance}) is ALARM: ${event.description}`);
    else this.o.log.info(fields, `alarm ${event.alarm} (${event.instance}) is ${to}`);
    this.o.onTransition?.(event);
    if (this.o.webhook) this.post(event, this.o.webhook);
  }

  private post(event: AlarmTransition, webhook: { url: string; timeoutMs: number }): void {
    const call = fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(webhook.timeoutMs),
    })
      .then(async (res) => {
        await res.body?.cancel();
        if (!res.ok) this.o.log.warn({ status: res.status, alarm: event.alarm }, 'alarm webhook answered an error status');
      })
      .catch((err: unknown) => this.o.log.warn({ err, alarm: event.alarm }, 'alarm webhook call failed'))
      .finally(() => this.webhooks.delete(call));
    this.webhooks.add(call);
  }
}
