import type { Command } from 'commander';
import { dynamoEndpointLabel, initStore } from '../../runtime/store.ts';
import {
  DbToolInputError,
  awsCliGetItemOutput,
  ensureMediaBucket,
  getItem,
  parseDynamoJsonKey,
  parsePlainKey,
  resolveTableName,
  tableCreateInputs,
} from '../../runtime/db-tools.ts';
import { systemClock } from '../../ports/clock.ts';
import { TableValidationError, type Key } from '../../ports/tables.ts';
import { configFrom, withConfigOptions } from '../options.ts';
import { progressReporter, silentProgress } from '../progress.ts';

export function registerDb(program: Command): void {
  const db = program.command('db').description('tables: create, inspect');
  withConfigOptions(
    db
      .command('init')
      .description('create every table and index (idempotent: existing tables are checked, not changed); --dry-run prints the DynamoDB definitions'),
  )
    .option('--dry-run', 'print the CreateTable inputs (with BIILIVE_DYNAMODB_TABLE_PREFIX applied), change nothing')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts) => {
      const config = configFrom(opts);
      if (opts.dryRun) {
        process.stdout.write(`${JSON.stringify(tableCreateInputs(config), null, 2)}\n`);
        return;
      }
      const progress = opts.quiet ? silentProgress : progressReporter('db init');
      let result;
      try {
        result = await initStore(config, { clock: systemClock, onProgress: (done, total) => progress.report('tables', done, total, 'ready') });
      } finally {
        progress.stop();
      }
      if (config.media.store === 's3') {
        const where = await ensureMediaBucket(config);
        process.stdout.write(`media bucket ${config.media.bucket} ready on S3 at ${where}\n`);
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

  withConfigOptions(
    db
      .command('get-item [table] [key]')
      .description(
        'print one item: `get-item <table> \'{"userId":"..."}\'` (plain JSON), or as the AWS CLI: ' +
          '`get-item --table-name <table> --key \'{"userId":{"S":"..."}}\'` (prints {"Item": ...} in DynamoDB JSON, nothing if absent)',
      ),
  )
    .option('--table-name <table>', 'AWS CLI form: the table (its configured name, or the prefixed DynamoDB name)')
    .option('--key <json>', 'AWS CLI form: the key in DynamoDB JSON, e.g. \'{"userId":{"S":"user123"}}\'')
    .option('--plain', 'AWS CLI form: print the item as plain JSON (null if absent) instead of {"Item": <DynamoDB JSON>}')
    .action(async (table: string | undefined, key: string | undefined, opts, cmd: Command) => {
      const usage = (message: string): never => cmd.error(`biilive: ${message}`, { exitCode: 2 });
      const awsForm = opts.tableName !== undefined || opts.key !== undefined;
      if (awsForm && (table !== undefined || key !== undefined)) usage('give either <table> <key> or --table-name and --key, not both');
      if (awsForm && (opts.tableName === undefined || opts.key === undefined)) usage('--table-name and --key go together');
      if (!awsForm && (table === undefined || key === undefined)) {
        usage(`get-item needs <table> '<key json>' or --table-name <table> --key '<DynamoDB JSON>'`);
      }
      const config = configFrom(opts);
      let tableName = '';
      let parsedKey: Key = {};
      try {
        tableName = resolveTableName(config, awsForm ? opts.tableName : table!);
        parsedKey = awsForm ? parseDynamoJsonKey(opts.key, config, tableName) : parsePlainKey(key!);
      } catch (err) {
        if (!(err instanceof DbToolInputError)) throw err;
        usage(err.message);
      }
      let item;
      try {
        item = await getItem(config, tableName, parsedKey, systemClock);
      } catch (err) {
        if (!(err instanceof TableValidationError)) throw err;
        usage(err.message);
      }
      if (awsForm && !opts.plain) process.stdout.write(awsCliGetItemOutput(item));
      else process.stdout.write(`${JSON.stringify(item ?? null, null, 2)}\n`);
    });
}
