import type { Command } from 'commander';
import { doctorCounters, type DoctorCountersResult } from '../../functions/update-user-counters/doctor.ts';
import { openContext } from '../../runtime/command-context.ts';
import { createLogger } from '../../runtime/logger.ts';
import { configFrom, withConfigOptions } from '../options.ts';
import { progressReporter, silentProgress } from '../progress.ts';

/**
 * `biilive doctor counters [--fix] [--json]`: recounts seguidores / siguiendo from the follow
 * graph (follows not yet applied by UpdateUserCounters are not drift). Exit code 0 when nothing
 * drifts (or everything was fixed), 1 when drift remains or some user kept changing while it was
 * measured (run again).
 */
export function registerDoctor(program: Command): void {
  const doctor = program.command('doctor').description('consistency checks and repairs');

  withConfigOptions(doctor.command('counters').description('recount followers/following from the graph; report drift (--fix repairs it)'))
    .option('--fix', 'repair drifting counters')
    .option('--json', 'print as JSON')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts) => {
      const config = configFrom(opts);
      const ctx = await openContext(config, createLogger('warn'));
      const progress = opts.quiet ? silentProgress : progressReporter('doctor');
      let result: DoctorCountersResult;
      try {
        result = await doctorCounters({
          tables: ctx.tables,
          tableNames: config.tables,
          fix: opts.fix === true,
          onProgress: (p) => progress.report(opts.fix ? 'recount and repair' : 'recount', p.users, undefined, `users, ${p.drift} drifting counters`),
        });
      } finally {
        progress.stop();
        await ctx.close();
      }
      const remaining = result.drift.length - result.fixed;
      const report: Report = {
        users: result.users,
        drift: result.drift,
        driftUsers: new Set(result.drift.map((d) => d.userId)).size,
        fixed: result.fixed,
        remaining,
        unstable: result.unstable,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(render(report, opts.fix === true));
      if (remaining > 0 || result.unstable.length > 0) process.exitCode = 1;
    });
}

interface Report {
  users: number;
  drift: DoctorCountersResult['drift'];
  driftUsers: number;
  fixed: number;
  remaining: number;
  unstable: string[];
}

function render(r: Report, fix: boolean): string {
  const lines = r.drift.map((d) => `${d.userId.padEnd(38)} ${d.field.padEnd(11)} stored ${d.stored}, actual ${d.actual}`);
  for (const id of r.unstable) lines.push(`${id.padEnd(38)} kept changing while measured: not judged, run again`);
  lines.push(
    `${r.users} users checked, ${r.drift.length} drifting counters on ${r.driftUsers} users` +
      (fix ? `, ${r.fixed} fixed, ${r.remaining} remaining` : '') +
      (r.unstable.length ? `, ${r.unstable.length} unstable` : ''),
  );
  if (r.remaining === 0 && r.unstable.length === 0) lines.push(r.drift.length === 0 ? 'no drift' : 'all drift fixed');
  else if (!fix && r.remaining > 0) lines.push('run with --fix to repair');
  return `${lines.join('\n')}\n`;
}
