/**
 * The one monitoring definition and what is derived from it: alarm evaluation on synthetic series
 * (threshold, M of N periods, missing data), the Prometheus rules (checked and unit-tested with
 * Debian's promtool) and the Grafana dashboard, both checked against the definition.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTANCE_LABEL, MONITORING, localAlarms, type AlarmSpec } from '../../src/domain/monitoring/definition.ts';
import { decide, overall, valueOver, type AlarmState, type Sample, type Snapshot } from '../../src/domain/monitoring/evaluate.ts';
import { parseExposition } from '../../src/domain/monitoring/exposition.ts';
import { grafanaDashboard } from '../../src/domain/monitoring/grafana.ts';
import { METRICS, MONITORED_FUNCTIONS } from '../../src/domain/monitoring/metrics.ts';
import { prometheusRules, promql, rulesYaml } from '../../src/domain/monitoring/prometheus.ts';
import { readFileSync } from 'node:fs';
import { metricsTable } from '../../scripts/metrics-table.ts';
import { CALCULATE_RANKINGS } from '../../src/functions/calculate-rankings/handler.ts';
import { POST_CONFIRMATION } from '../../src/functions/post-confirmation/handler.ts';
import { PROCESS_PROFILE_PHOTO } from '../../src/functions/process-profile-photo/handler.ts';
import { UPDATE_USER_COUNTERS } from '../../src/functions/update-user-counters/handler.ts';

const alarm = (id: string): AlarmSpec => MONITORING.alarms.find((a) => a.id === id)!;
const snap = (at: number, samples: Sample[]): Snapshot => ({ at, samples });
const s = (name: string, labels: Record<string, string>, value: number): Sample => ({ name, labels, value });

describe('definition', () => {
  test("the seed's four rows and four alarms, each local alarm on metrics of the catalogue", () => {
    assert.equal(MONITORING.dashboard.rows.length, 4);
    assert.deepEqual(localAlarms().map((a) => a.id), ['ApiLatency', 'DynamoDbThrottles', 'FunctionErrors', 'MediaErrors']);
    const apiLatency = alarm('ApiLatency');
    assert.deepEqual([apiLatency.threshold, apiLatency.unit, apiLatency.evaluationPeriods], [1000, 'ms', 2]);
    assert.deepEqual([alarm('FunctionErrors').threshold, alarm('FunctionErrors').unit], [1, 'percent']);
    assert.ok(alarm('CountersDeadLetters').localNote, 'an AWS-only alarm says why');
    for (const row of MONITORING.dashboard.rows) assert.ok(row.lines.filter((l) => l.local).length >= 3, row.title);
  });

  test('docs/operations.md lists every metric with its CloudWatch counterpart', () => {
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(metricsTable()), 'regenerate the table: node --import tsx scripts/metrics-table.ts');
  });

  test('the monitored functions are the seed functions the server runs', () => {
    assert.deepEqual([...MONITORED_FUNCTIONS], [UPDATE_USER_COUNTERS, PROCESS_PROFILE_PHOTO, CALCULATE_RANKINGS, POST_CONFIRMATION]);
  });
});

describe('alarm state (CloudWatch rules)', () => {
  const rule = { evaluationPeriods: 3, datapointsToAlarm: 2, threshold: 10, unit: 'count' as const };
  const run = (treatMissingData: AlarmSpec['treatMissingData'], points: (number | undefined)[], previous: AlarmState = 'OK') =>
    decide({ ...rule, treatMissingData }, points, previous).state;

  test('no datapoint yet: INSUFFICIENT_DATA', () => {
    assert.equal(run('notBreaching', []), 'INSUFFICIENT_DATA');
  });

  test('threshold is strict; M of the last N periods', () => {
    assert.equal(run('notBreaching', [10, 10, 10]), 'OK', 'equal to the threshold is not above it');
    assert.equal(run('notBreaching', [11, 0, 11]), 'ALARM', '2 of 3');
    assert.equal(run('notBreaching', [11, 11, 0, 0, 11]), 'OK', 'older periods fall out of the window');
    assert.equal(run('notBreaching', [0, 11]), 'OK', '1 breach of the 2 periods so far');
    assert.equal(run('notBreaching', [11, 11]), 'ALARM');
  });

  test('missing data: notBreaching, breaching, missing, ignore', () => {
    assert.equal(run('notBreaching', [11, undefined, undefined]), 'OK');
    assert.equal(run('breaching', [11, undefined, 0]), 'ALARM');
    assert.equal(run('missing', [undefined, undefined, undefined]), 'INSUFFICIENT_DATA');
    assert.equal(run('missing', [11, undefined, 11]), 'ALARM', 'present datapoints decide');
    assert.equal(run('ignore', [undefined, undefined, undefined], 'ALARM'), 'ALARM', 'state kept');
    assert.equal(run('ignore', [undefined, undefined, undefined], 'OK'), 'OK');
  });

  test('the reason lists the window', () => {
    const d = decide({ ...alarm('FunctionErrors') }, [2.5], 'OK');
    assert.equal(d.state, 'ALARM');
    assert.match(d.reason, /1 of the last 1 datapoint\(s\) \[2\.50 %\] above 1 %/);
  });
});

describe('values over a period, from snapshots', () => {
  const inv = METRICS.functionInvocations.name;
  const err = METRICS.functionErrors.name;
  const fnSeries = (t: number, invocations: Record<string, number>, errors: Record<string, number>) =>
    snap(t, [
      ...Object.entries(invocations).map(([f, v]) => s(inv, { function: f }, v)),
      ...Object.entries(errors).map(([f, v]) => s(err, { function: f }, v)),
    ]);

  test('percent per instance: growth over the period; 0 when nothing was invoked', () => {
    const spec = alarm('FunctionErrors');
    const from = fnSeries(0, { A: 100, B: 50 }, { A: 0, B: 0 });
    const to = fnSeries(300_000, { A: 300, B: 50 }, { A: 3, B: 0 });
    const v = valueOver(spec.local!, 'function', from, to);
    assert.deepEqual(Object.fromEntries(v), { A: 1.5, B: 0 });
    assert.equal(overall(v, spec.local!), 1.5, 'the worst instance');
  });

  test('a counter that went back (a restart) counts from zero', () => {
    const v = valueOver({ increase: { metric: 'functionInvocations' } }, 'function', fnSeries(0, { A: 100 }, {}), fnSeries(1, { A: 7 }, {}));
    assert.equal(v.get('A'), 7);
  });

  test('mean of a histogram, scaled; missing when nothing was observed', () => {
    const spec = alarm('ApiLatency');
    const name = METRICS.apiLatency.name;
    const at = (t: number, sum: number, count: number) =>
      snap(t, [s(`${name}_sum`, { operation: 'getUser', auth_mode: 'API_KEY' }, sum), s(`${name}_count`, { operation: 'getUser', auth_mode: 'API_KEY' }, count)]);
    assert.equal(valueOver(spec.local!, 'api', at(0, 1, 10), at(1, 13, 20)).get('api'), 1200, '12 s over 10 requests = 1200 ms');
    assert.equal(valueOver(spec.local!, 'api', at(0, 1, 10), at(1, 1, 10)).get('api'), undefined);
  });

  test('label filters: 4XX excludes the server error types, 5XX keeps only them', () => {
    const [, fourxx, fivexx] = MONITORING.dashboard.rows[0].lines;
    const name = METRICS.apiErrors.name;
    const to = snap(1, [
      s(name, { operation: 'a', auth_mode: 'API_KEY', error_type: 'Unauthorized' }, 4),
      s(name, { operation: 'a', auth_mode: 'API_KEY', error_type: 'InternalFailure' }, 2),
      s(name, { operation: 'b', auth_mode: 'API_KEY', error_type: 'BadRequestException' }, 1),
    ]);
    assert.equal(valueOver(fourxx.local!, 'api', undefined, to).get('api'), 5);
    assert.equal(valueOver(fivexx.local!, 'api', undefined, to).get('api'), 2);
  });

  test('max of a gauge over the period samples', () => {
    const name = METRICS.functionIteratorAge.name;
    const g = (t: number, v: number) => snap(t, [s(name, { function: 'UpdateUserCounters' }, v)]);
    const v = valueOver({ max: { metric: 'functionIteratorAge' } }, 'function', g(0, 9), g(3, 0), [g(1, 4), g(2, 6), g(3, 0)]);
    assert.equal(v.get('UpdateUserCounters'), 6);
  });

  test('an alarm over a synthetic series: OK, ALARM when errors pass 1 %, OK again', () => {
    const spec = alarm('FunctionErrors');
    const series = [
      fnSeries(0, { P: 0 }, { P: 0 }),
      fnSeries(1, { P: 200 }, { P: 1 }), // 0.5 %
      fnSeries(2, { P: 300 }, { P: 4 }), // 3 %
      fnSeries(3, { P: 300 }, { P: 4 }), // nothing ran: 0 %
    ];
    const states: AlarmState[] = [];
    const points: (number | undefined)[] = [];
    let state: AlarmState = 'INSUFFICIENT_DATA';
    for (let i = 1; i < series.length; i++) {
      points.push(valueOver(spec.local!, spec.per, series[i - 1], series[i]).get('P'));
      state = decide(spec, points, state).state;
      states.push(state);
    }
    assert.deepEqual(states, ['OK', 'ALARM', 'OK']);
  });
});

describe('Prometheus rules', () => {
  const file = prometheusRules();
  const rules = file.groups[0].rules;

  test('one rule per local alarm: its value as PromQL, threshold, remaining periods as `for`', () => {
    assert.deepEqual(rules.map((r) => r.labels.alarm), localAlarms().map((a) => a.id));
    for (const a of localAlarms()) {
      const rule = rules.find((r) => r.labels.alarm === a.id)!;
      assert.equal(rule.expr, `${promql(a.local, a.per, '5m')} > ${a.threshold}`);
      assert.equal(rule.for, a.evaluationPeriods > 1 ? `${(5 * (a.evaluationPeriods - 1))}m` : undefined);
      const label = INSTANCE_LABEL[a.per];
      if (label) assert.match(rule.expr, new RegExp(`sum by \\(${label}\\)`));
      assert.equal(rule.annotations.summary, a.description);
    }
    assert.match(rules.find((r) => r.labels.alarm === 'FunctionErrors')!.expr, /biilive_function_errors_total\[5m\].*biilive_function_invocations_total\[5m\]/);
  });

  test('promtool accepts the file and its alerts fire on synthetic series as the alarms would', () => {
    const dir = mkdtempSync(join(tmpdir(), 'biilive-rules-'));
    try {
      const rulesFile = join(dir, 'rules.yml');
      writeFileSync(rulesFile, rulesYaml(file));
      const promtool = (args: string[]) => execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        promtool(['--version']);
      } catch {
        assert.fail('promtool is missing: install Debian\'s "prometheus" package (.ci/run does)');
      }
      assert.match(promtool(['check', 'rules', rulesFile]), /SUCCESS: 4 rules found/);
      // Errors at 10 % of invocations fire FunctionErrors for that function only; latency 1.5 s
      // fires ApiLatency once it has lasted the second period; 404s at 50 % fire MediaErrors.
      const tests = {
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: 'biilive_function_invocations_total{function="ProcessProfilePhoto",instance="a"}', values: '0+10x30' },
              { series: 'biilive_function_errors_total{function="ProcessProfilePhoto",instance="a"}', values: '0+1x30' },
              { series: 'biilive_function_invocations_total{function="UpdateUserCounters",instance="a"}', values: '0+100x30' },
              { series: 'biilive_function_errors_total{function="UpdateUserCounters",instance="a"}', values: '0x30' },
              { series: 'biilive_api_request_duration_seconds_sum{operation="getUser",auth_mode="API_KEY"}', values: '0+15x30' },
              { series: 'biilive_api_request_duration_seconds_count{operation="getUser",auth_mode="API_KEY"}', values: '0+10x30' },
              { series: 'biilive_media_requests_total{behaviour="/fotos/*",method="GET",status="4xx"}', values: '0+5x30' },
              { series: 'biilive_media_requests_total{behaviour="/fotos/*",method="GET",status="2xx"}', values: '0+5x30' },
              { series: 'biilive_store_throttles_total{table="BIILIVEDB-USERS",operation="GetItem"}', values: '0x30' },
            ],
            alert_rule_test: [
              {
                eval_time: '10m',
                alertname: 'BiiLiveFunctionErrors',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', alarm: 'FunctionErrors', function: 'ProcessProfilePhoto' },
                    exp_annotations: { summary: 'Function errors above 1 % of invocations', description: 'ProcessProfilePhoto: 10 % > 1 over 5m' },
                  },
                ],
              },
              // Pending from the first minute with data; fires once it held for the second period.
              { eval_time: '4m', alertname: 'BiiLiveApiLatency', exp_alerts: [] },
              {
                eval_time: '12m',
                alertname: 'BiiLiveApiLatency',
                exp_alerts: [{ exp_labels: { severity: 'warning', alarm: 'ApiLatency' }, exp_annotations: { summary: 'API latency above 1 s', description: '1.5k ms > 1000 over 5m' } }],
              },
              {
                eval_time: '12m',
                alertname: 'BiiLiveMediaErrors',
                exp_alerts: [
                  {
                    exp_labels: { severity: 'warning', alarm: 'MediaErrors' },
                    exp_annotations: { summary: 'Media requests answered 4xx/5xx above 5 % of requests', description: '50 % > 5 over 5m' },
                  },
                ],
              },
              { eval_time: '12m', alertname: 'BiiLiveDynamoDbThrottles', exp_alerts: [] },
            ],
          },
        ],
      };
      const testsFile = join(dir, 'tests.yml');
      writeFileSync(testsFile, JSON.stringify(tests)); // JSON is YAML
      assert.match(promtool(['test', 'rules', testsFile]), /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a period override changes every range and `for`', () => {
    const fast = prometheusRules({ periodSeconds: 30 }).groups[0].rules;
    assert.ok(fast.every((r) => r.expr.includes('[30s]')));
    assert.equal(fast.find((r) => r.labels.alarm === 'ApiLatency')!.for, '30s');
  });
});

describe('Grafana dashboard', () => {
  test('one row per seed row, one panel per local line with its PromQL, thresholds of the alarms', () => {
    const dashboard = JSON.parse(JSON.stringify(grafanaDashboard())) as ReturnType<typeof grafanaDashboard>;
    const rows = dashboard.panels.filter((p) => p.type === 'row');
    assert.deepEqual(rows.map((r) => r.title), MONITORING.dashboard.rows.map((r) => r.title));
    for (const row of MONITORING.dashboard.rows) {
      const start = dashboard.panels.findIndex((p) => p.type === 'row' && p.title === row.title);
      const panels = dashboard.panels.slice(start + 1).filter((p, i, all) => all.slice(0, i + 1).every((q) => q.type !== 'row'));
      const lines = row.lines.filter((l) => l.local);
      assert.deepEqual(panels.map((p) => p.title), lines.map((l) => l.label), row.title);
      panels.forEach((p, i) => {
        assert.equal(p.targets![0].expr, promql(lines[i].local!, row.per, '$__rate_interval'));
        assert.equal(p.datasource!.uid, '${datasource}');
      });
    }
    const latency = dashboard.panels.find((p) => p.title === 'Latency (ms)')!;
    const steps = (latency.fieldConfig!.defaults.thresholds as { steps: Array<{ value: number | null }> }).steps;
    assert.deepEqual(steps.map((x) => x.value), [null, 1000]);
    assert.equal(latency.fieldConfig!.defaults.unit, 'ms');
    assert.equal(dashboard.templating.list[0].type, 'datasource');
  });
});

describe('exposition format', () => {
  test('samples with labels, escapes, histograms and special values', () => {
    const text = [
      '# HELP x_total An x',
      '# TYPE x_total counter',
      'x_total{a="1",b="q\\"uote\\\\",c="line\\nbreak"} 3',
      'h_bucket{le="+Inf"} 4',
      'g -2.5e-3',
      'n NaN',
      '',
    ].join('\n');
    assert.deepEqual(parseExposition(text), [
      { name: 'x_total', labels: { a: '1', b: 'q"uote\\', c: 'line\nbreak' }, value: 3 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 4 },
      { name: 'g', labels: {}, value: -0.0025 },
      { name: 'n', labels: {}, value: NaN },
    ]);
    assert.throws(() => parseExposition('not a metric line at all'), /line 1/);
  });
});
