import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { StartupError } from '../runtime/store.ts';
import { restrictFileModes } from '../runtime/data-dir.ts';
import { registerServe } from './commands/serve.ts';
import { registerInfo } from './commands/info.ts';
import { registerUsers } from './commands/users.ts';
import { registerDb } from './commands/db.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerPoints } from './commands/points.ts';
import { registerRankings } from './commands/rankings.ts';
import { registerCdn } from './commands/cdn.ts';
import { registerSchema } from './commands/schema.ts';
import { registerOutputs } from './commands/outputs.ts';
import { registerOps } from './commands/ops.ts';
import { registerCost } from './commands/cost.ts';

/** Usage and configuration errors exit with 2; other failures with 1. */
export async function main(argv: string[]): Promise<number> {
  // Whatever a command creates (SQLite files, media, TLS keys, server.json) is the owner's only.
  restrictFileModes();
  const program = new Command('biilive')
    .description('BiiLive backend: AppSync- and Cognito-compatible server (embedded SQLite, or DynamoDB/S3/Redis)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerServe(program);
  registerInfo(program);
  registerUsers(program);
  registerDb(program);
  registerDoctor(program);
  registerPoints(program);
  registerRankings(program);
  registerCdn(program);
  registerSchema(program);
  registerOutputs(program);
  registerOps(program);
  registerCost(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`biilive: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`biilive: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
