import type { Command } from 'commander';
import { AppError, ErrorCode } from '../../domain/errors.ts';
import { CdnInvalidations } from '../../domain/media/invalidations.ts';
import { systemClock } from '../../ports/clock.ts';
import { openStore } from '../../runtime/store.ts';
import { configFrom, withConfigOptions } from '../options.ts';

/**
 * `biilive cdn invalidate --paths "/profile-photos/*" [--paths ...] [--json]`: records a
 * CloudFront-style invalidation in the system table; every server of the installation (any
 * replica, embedded or scaled out) drops the matching cached objects on its next poll.
 */
export function registerCdn(program: Command): void {
  const cdn = program.command('cdn').description('the embedded CDN (media cache behaviours)');

  withConfigOptions(cdn.command('invalidate').description('drop cached media objects on every server (CloudFront path semantics)'))
    .requiredOption('--paths <path...>', 'paths to invalidate, each starting with "/", optional trailing "*" (repeatable)', collect)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const config = configFrom(opts);
      const tables = await openStore(config, { clock: systemClock });
      try {
        const inv = await new CdnInvalidations({ tables, systemTable: config.tables.system, clock: systemClock }).create(opts.paths);
        if (opts.json) process.stdout.write(`${JSON.stringify(inv, null, 2)}\n`);
        else process.stdout.write(`invalidation ${inv.id} created at ${inv.createdAt}\n${inv.paths.map((p) => `  ${p}`).join('\n')}\n`);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        // Bad paths are a usage error (exit 2), as CloudFront answers InvalidArgument.
        process.stderr.write(`biilive: cdn invalidate refused (${err.code}): ${err.message}\n`);
        process.exitCode = err.code === ErrorCode.BadRequest ? 2 : 1;
      } finally {
        await tables.close();
      }
    });
}

/** `--paths a --paths b` and `--paths a b` both accumulate. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
