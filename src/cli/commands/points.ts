import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { ADMIN_GROUP } from '../../domain/points/points-service.ts';
import { openContext } from '../../runtime/command-context.ts';
import { configFrom, withConfigOptions } from '../options.ts';

/**
 * `biilive points award <userId> <amount> --reason R --key K`: the system's award, straight
 * through PointsService as an admin (the operator of the data dir is one), with the same rules
 * as the awardPoints mutation. Prints the ledger's result as JSON; a repeated key prints the
 * first result with `"replayed": true` and adds nothing. Works while a server runs (SQLite WAL).
 */
export function registerPoints(program: Command): void {
  const points = program.command('points').description('points and levels (admin)');

  withConfigOptions(points.command('award <userId> <amount>').description('add points to a user (idempotent per --key)'))
    .requiredOption('--reason <text>', 'why, kept in the ledger (1-200 characters)')
    .requiredOption('--key <idempotencyKey>', 'idempotency key: a retry with the same key counts once')
    .action(async (userId: string, amount: string, opts) => {
      const config = configFrom(opts);
      const context = await openContext(config);
      try {
        const service = context.services.points;
        // A decimal integer as typed; anything else reaches the service as NaN and is refused there.
        const value = /^-?\d+$/.test(amount.trim()) ? Number(amount) : NaN;
        const result = await service.award({ username: 'biilive-cli', groups: [ADMIN_GROUP] }, { userId, amount: value, reason: opts.reason, idempotencyKey: opts.key });
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        process.stderr.write(`biilive: points award refused (${err.code}): ${err.message}\n`);
        process.exitCode = 1;
      } finally {
        await context.close();
      }
    });
}
