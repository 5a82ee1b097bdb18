import type { Command } from 'commander';
import { tableDefinitions } from '../../domain/tables.ts';
import { tableCreateInput } from '../../adapters/dynamodb/dynamodb-tables.ts';
import { openStore } from '../../server/store.ts';
import { systemClock } from '../../ports/clock.ts';
import { configFrom, withConfigOptions } from '../options.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('tables: create, inspect');
  withConfigOptions(db.command('init').description('create every table and index (idempotent); --dry-run prints the DynamoDB definitions'))
    .option('--dry-run', 'print the CreateTable inputs, change nothing')
    .action(async (opts) => {
      const config = configFrom(opts);
      const definitions = tableDefinitions(config.tables);
      if (opts.dryRun) {
        process.stdout.write(`${JSON.stringify(definitions.map((d) => tableCreateInput(d)), null, 2)}\n`);
        return;
      }
      const tables = await openStore(config, { clock: systemClock, create: true });
      await tables.close();
      process.stdout.write(`${definitions.length} tables ready on ${config.store}: ${definitions.map((d) => d.name).join(', ')}\n`);
    });

  withConfigOptions(db.command('get-item <table> <key>').description('print one item; key as JSON, e.g. \'{"userId":"..."}\''))
    .action(async (table: string, key: string, opts) => {
      const config = configFrom(opts);
      let parsed: unknown;
      try {
        parsed = JSON.parse(key);
      } catch {
        throw new Error(`key must be a JSON object, e.g. '{"userId":"abc"}'`);
      }
      const tables = await openStore(config, { clock: systemClock });
      try {
        const item = await tables.get(table, parsed as Record<string, string>, { consistent: true });
        process.stdout.write(`${JSON.stringify(item ?? null, null, 2)}\n`);
      } finally {
        await tables.close();
      }
    });
}
