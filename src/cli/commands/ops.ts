import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { grafanaDashboard } from '../../domain/monitoring/grafana.ts';
import { prometheusRules, rulesYaml } from '../../domain/monitoring/prometheus.ts';

/**
 * `biilive ops export --prometheus-rules FILE --grafana FILE`: the seed's alarms as a Prometheus
 * alerting-rules file and its dashboard rows as a Grafana dashboard, generated from the one
 * monitoring definition (src/domain/monitoring/definition.ts), for scaled-out deployments that
 * scrape every replica's /metrics. `-` writes to stdout.
 */
export function registerOps(program: Command): void {
  const ops = program.command('ops').description('operations: monitoring exports');
  ops
    .command('export')
    .description('write the alarms as Prometheus alerting rules and the dashboard as Grafana JSON (from the same definition as CloudWatch)')
    .option('--prometheus-rules <file>', 'alerting-rules file to write (YAML; - for stdout); check it with `promtool check rules`')
    .option('--grafana <file>', 'Grafana dashboard JSON to write (- for stdout); import it with a Prometheus data source')
    .option('--period <seconds>', "every alarm's period instead of its own (300 s, as on CloudWatch)")
    .action((opts, cmd: Command) => {
      if (!opts.prometheusRules && !opts.grafana) return cmd.error('biilive: give --prometheus-rules FILE and/or --grafana FILE', { exitCode: 2 });
      let periodSeconds: number | undefined;
      if (opts.period !== undefined) {
        periodSeconds = Number(opts.period);
        if (!Number.isInteger(periodSeconds) || periodSeconds < 1) return cmd.error(`biilive: --period must be a whole number of seconds, got ${JSON.stringify(opts.period)}`, { exitCode: 2 });
      }
      const out = (file: string, text: string, what: string) => {
        if (file === '-') process.stdout.write(text);
        else {
          writeFileSync(file, text);
          process.stderr.write(`${what} written to ${file}\n`);
        }
      };
      if (opts.prometheusRules) out(opts.prometheusRules, rulesYaml(prometheusRules({ periodSeconds })), 'Prometheus alerting rules');
      if (opts.grafana) out(opts.grafana, `${JSON.stringify(grafanaDashboard(), null, 2)}\n`, 'Grafana dashboard');
    });
}
