/**
 * Prints docs/operations.md's metrics table from the catalogue (src/domain/monitoring/metrics.ts):
 * each Prometheus metric, its type and labels, and the CloudWatch metric it stands for on AWS.
 * `node --import tsx scripts/metrics-table.ts`
 */
import { fileURLToPath } from 'node:url';
import { METRICS } from '../src/domain/monitoring/metrics.ts';

export function metricsTable(): string {
  const rows = ['| metric | type | labels | on AWS (CloudWatch) |', '|---|---|---|---|'];
  for (const def of Object.values(METRICS)) {
    const labels = def.labels.length ? def.labels.map((l) => `\`${l}\``).join(', ') : '-';
    rows.push(`| \`${def.name}\` | ${def.type} | ${labels} | ${def.cloudwatch.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(metricsTable());
