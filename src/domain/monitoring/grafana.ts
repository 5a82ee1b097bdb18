/**
 * The dashboard rows as a Grafana dashboard (JSON model, schema 39) over a Prometheus data source
 * chosen at import (`${datasource}`): one row per seed row, one time-series panel per local line
 * with a series per instance, and each alarm's threshold drawn on the panel it watches.
 */
import { INSTANCE_LABEL, MONITORING, localAlarms, type LineSpec, type Unit } from './definition.ts';
import { promql } from './prometheus.ts';

const GRAFANA_UNIT: Record<Unit, string> = { ms: 'ms', count: 'short', percent: 'percent', seconds: 's' };

export interface GrafanaPanel {
  id: number;
  type: 'row' | 'timeseries';
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: 'prometheus'; uid: string };
  targets?: Array<{ refId: string; expr: string; legendFormat: string; datasource: { type: 'prometheus'; uid: string } }>;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: [] };
  collapsed?: boolean;
  panels?: [];
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: Array<Record<string, unknown>> };
  panels: GrafanaPanel[];
}

const DATASOURCE = { type: 'prometheus' as const, uid: '${datasource}' };

/** Thresholds of the alarms that watch exactly this line's value. */
function thresholdsFor(line: LineSpec): number[] {
  const local = JSON.stringify(line.local);
  return localAlarms()
    .filter((a) => JSON.stringify(a.local) === local)
    .map((a) => a.threshold);
}

export function grafanaDashboard(): GrafanaDashboard {
  const panels: GrafanaPanel[] = [];
  let id = 1;
  let y = 0;
  for (const row of MONITORING.dashboard.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, gridPos: { x: 0, y: y++, w: 24, h: 1 }, collapsed: false, panels: [] });
    const lines = row.lines.filter((l) => l.local);
    const width = Math.max(6, Math.floor(24 / lines.length));
    lines.forEach((line, i) => {
      const label = INSTANCE_LABEL[row.per];
      const thresholds = thresholdsFor(line);
      panels.push({
        id: id++,
        type: 'timeseries',
        title: line.label,
        gridPos: { x: (i * width) % 24, y, w: width, h: 8 },
        datasource: DATASOURCE,
        targets: [{ refId: 'A', expr: promql(line.local!, row.per, '$__rate_interval'), legendFormat: label ? `{{${label}}}` : line.label, datasource: DATASOURCE }],
        fieldConfig: {
          defaults: {
            unit: GRAFANA_UNIT[line.unit],
            ...(thresholds.length
              ? {
                  custom: { thresholdsStyle: { mode: 'line' } },
                  thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, ...thresholds.map((t) => ({ color: 'red', value: t }))] },
                }
              : {}),
          },
          overrides: [],
        },
      });
    });
    y += 8;
  }
  return {
    uid: 'biilive',
    title: MONITORING.dashboard.name,
    tags: ['biilive'],
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: { list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' }] },
    panels,
  };
}
