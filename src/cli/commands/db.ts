import type { Command } from 'commander';
import { S3Blobs } from '../../adapters/blobs/s3-blobs.ts';
import { tableDefinitions } from '../../domain/tables.ts';
import { tableCreateInput } from '../../adapters/dynamodb/dynamodb-tables.ts';
import { dynamoEndpointLabel, initStore, openStore } from '../../runtime/store.ts';
import { systemClock } from '../../ports/clock.ts';
import { TableValidationError } from '../../ports/tables.ts';
import { configFrom, withConfigOptions } from '../options.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('tables: create, inspect');
  withConfigOptions(
    db
      .command('init')
      .description('create every table and index (idempotent: existing tables are checked, not changed); --dry-run prints the DynamoDB definitions'),
  )
    .option('--dry-run', 'print the CreateTable inputs (with BIILIVE_DYNAMODB_TABLE_PREFIX applied), change nothing')
    .action(async (opts) => {
      const config = configFrom(opts);
      const definitions = tableDefinitions(config.tables);
      if (opts.dryRun) {
        const prefix = config.dynamodb.tablePrefix;
        process.stdout.write(`${JSON.stringify(definitions.map((d) => tableCreateInput(d, prefix + d.name)), null, 2)}\n`);
        return;
      }
      const result = await initStore(config, { clock: systemClock });
      if (config.media.store === 's3') {
        const m = config.media;
        const blobs = new S3Blobs({ bucket: m.bucket, region: config.region, endpoint: m.s3Endpoint, forcePathStyle: m.s3ForcePathStyle });
        try {
          await blobs.ensure({ create: true });
          process.stdout.write(`media bucket ${m.bucket} ready on S3 at ${m.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? config.region}\n`);
        } finally {
          await blobs.close();
        }
      }
      if (config.store === 'sqlite') {
        process.stdout.write(`${result.tables.length} tables ready on sqlite (${config.dataDir}): ${result.tables.join(', ')}\n`);
        return;
      }
      const existing = result.tables.filter((t) => !result.created.includes(t));
      process.stdout.write(
        [
          `${result.tables.length} tables ready on DynamoDB at ${dynamoEndpointLabel(config)}`,
          `  created:        ${result.created.join(', ') || '(none)'}`,
          `  already there:  ${existing.join(', ') || '(none)'}`,
          '',
        ].join('\n'),
      );
    });

  withConfigOptions(db.command('get-item <table> <key>').description('print one item; key as JSON, e.g. \'{"userId":"..."}\''))
    .action(async (table: string, key: string, opts, cmd: Command) => {
      const config = configFrom(opts);
      const names = tableDefinitions(config.tables).map((d) => d.name);
      if (!names.includes(table)) cmd.error(`biilive: unknown table ${table}; the tables are ${names.join(', ')}`, { exitCode: 2 });
      let parsed: unknown;
      try {
        parsed = JSON.parse(key);
      } catch {
        // reported below
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        cmd.error(`biilive: key must be a JSON object, e.g. '{"userId":"abc"}'`, { exitCode: 2 });
      }
      const tables = await openStore(config, { clock: systemClock });
      try {
        const item = await tables.get(table, parsed as Record<string, string>, { consistent: true });
        process.stdout.write(`${JSON.stringify(item ?? null, null, 2)}\n`);
      } catch (err) {
        if (!(err instanceof TableValidationError)) throw err;
        cmd.error(`biilive: ${err.message}`, { exitCode: 2 });
      } finally {
        await tables.close();
      }
    });
}
