/**
 * Pure evaluation of the monitoring definition over snapshots of the server's own metrics: the
 * value of a line or alarm over one period, per instance, and CloudWatch's alarm state rules
 * (M out of N datapoints above the threshold, missing data treated as the alarm says).
 */
import { INSTANCE_LABEL, SINGLE_INSTANCE, type AlarmSpec, type LocalValue, type ResourceKind, type Series } from './definition.ts';
import { METRICS } from './metrics.ts';

/** One series' value at a moment: cumulative for counters and histogram _sum/_count, current for gauges. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

export interface Snapshot {
  /** Epoch ms. */
  at: number;
  samples: readonly Sample[];
}

const matches = (sample: Sample, name: string, series: Series): boolean => {
  if (sample.name !== name) return false;
  for (const [label, values] of Object.entries(series.where ?? {})) if (!values.includes(sample.labels[label] ?? '')) return false;
  for (const [label, values] of Object.entries(series.whereNot ?? {})) if (values.includes(sample.labels[label] ?? '')) return false;
  return true;
};

/** Sums of the matching samples, per instance (the kind's label value, or its single name). */
function totals(snapshot: Snapshot | undefined, name: string, series: Series, per: ResourceKind, into = new Map<string, number>()): Map<string, number> {
  const label = INSTANCE_LABEL[per];
  for (const sample of snapshot?.samples ?? []) {
    if (!matches(sample, name, series)) continue;
    const instance = label ? (sample.labels[label] ?? '') : SINGLE_INSTANCE[per];
    into.set(instance, (into.get(instance) ?? 0) + sample.value);
  }
  return into;
}

/** Growth of the matching counters between two snapshots, per instance (a reset counts from 0). */
function growth(from: Snapshot | undefined, to: Snapshot, name: string, series: Series, per: ResourceKind): Map<string, number> {
  const before = totals(from, name, series, per);
  const after = totals(to, name, series, per);
  const out = new Map<string, number>();
  for (const [instance, value] of after) {
    const previous = before.get(instance) ?? 0;
    out.set(instance, value >= previous ? value - previous : value);
  }
  return out;
}

/**
 * The value of `value` over the period between two snapshots (`from` undefined: since the
 * counters started), per instance. undefined = no datapoint (a mean with nothing observed).
 * `gauges` are the snapshots taken inside the period, for `max`.
 */
export function valueOver(
  value: LocalValue,
  per: ResourceKind,
  from: Snapshot | undefined,
  to: Snapshot,
  gauges: readonly Snapshot[] = [to],
): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  if ('increase' in value) {
    for (const [instance, v] of growth(from, to, METRICS[value.increase.metric].name, value.increase, per)) out.set(instance, v);
    return out;
  }
  if ('mean' in value) {
    const name = METRICS[value.mean.metric].name;
    const sums = growth(from, to, `${name}_sum`, value.mean, per);
    for (const [instance, count] of growth(from, to, `${name}_count`, value.mean, per)) {
      out.set(instance, count > 0 ? ((sums.get(instance) ?? 0) / count) * value.scale : undefined);
    }
    return out;
  }
  if ('percent' in value) {
    const part = growth(from, to, METRICS[value.percent.part.metric].name, value.percent.part, per);
    for (const [instance, of] of growth(from, to, METRICS[value.percent.of.metric].name, value.percent.of, per)) {
      out.set(instance, of > 0 ? (100 * (part.get(instance) ?? 0)) / of : 0);
    }
    return out;
  }
  const name = METRICS[value.max.metric].name;
  for (const snapshot of gauges) {
    const label = INSTANCE_LABEL[per];
    for (const sample of snapshot.samples) {
      if (!matches(sample, name, value.max)) continue;
      const instance = label ? (sample.labels[label] ?? '') : SINGLE_INSTANCE[per];
      out.set(instance, Math.max(out.get(instance) ?? -Infinity, sample.value));
    }
  }
  return out;
}

/** Sums a per-instance value over every instance (the console's one line per row); undefined when all are. */
export function overall(values: Map<string, number | undefined>, value: LocalValue): number | undefined {
  const present = [...values.values()].filter((v): v is number => v !== undefined);
  if (present.length === 0) return undefined;
  if ('increase' in value) return present.reduce((a, b) => a + b, 0);
  return Math.max(...present);
}

// ---- Alarm state -------------------------------------------------------------------------------

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmDecision {
  state: AlarmState;
  reason: string;
}

type Rule = Pick<AlarmSpec, 'evaluationPeriods' | 'datapointsToAlarm' | 'threshold' | 'treatMissingData' | 'unit'>;

const show = (v: number, unit: AlarmSpec['unit']) => `${Number.isInteger(v) ? v : v.toFixed(2)}${unit === 'percent' ? ' %' : unit === 'ms' ? ' ms' : unit === 'seconds' ? ' s' : ''}`;

/**
 * CloudWatch's rule over the latest datapoints (oldest first; undefined = missing): ALARM when
 * at least `datapointsToAlarm` of the last `evaluationPeriods` are above the threshold. Missing
 * datapoints count as `treatMissingData` says: notBreaching / breaching as such; `missing` and
 * `ignore` look at the present ones only, and when every one is missing the state becomes
 * INSUFFICIENT_DATA (`missing`) or stays as it was (`ignore`). No datapoint yet: INSUFFICIENT_DATA.
 */
export function decide(rule: Rule, datapoints: readonly (number | undefined)[], previous: AlarmState): AlarmDecision {
  if (datapoints.length === 0) return { state: 'INSUFFICIENT_DATA', reason: 'no complete period yet' };
  const window = datapoints.slice(-rule.evaluationPeriods);
  const present = window.filter((v): v is number => v !== undefined);
  const unitOf = (v: number) => show(v, rule.unit);
  if (present.length === 0) {
    if (rule.treatMissingData === 'missing') return { state: 'INSUFFICIENT_DATA', reason: `no data in the last ${window.length} period(s)` };
    if (rule.treatMissingData === 'ignore') return { state: previous, reason: `no data in the last ${window.length} period(s): state kept` };
  }
  let breaching = 0;
  for (const v of window) {
    if (v === undefined) {
      if (rule.treatMissingData === 'breaching') breaching++;
    } else if (v > rule.threshold) breaching++;
  }
  const listed = window.map((v) => (v === undefined ? 'missing' : unitOf(v))).join(', ');
  const state: AlarmState = breaching >= rule.datapointsToAlarm ? 'ALARM' : 'OK';
  return {
    state,
    reason: `${breaching} of the last ${window.length} datapoint(s) [${listed}] above ${unitOf(rule.threshold)} (alarm at ${rule.datapointsToAlarm})`,
  };
}
