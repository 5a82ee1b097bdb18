import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionArgumentError, type Command } from 'commander';
import { checkAppSyncSchema, formatSchemaProblem, hasErrors, type SchemaProblem } from '../../api/appsync/schema-check.ts';
import {
  DEFAULT_SCHEMA_POLL_INTERVAL_MS,
  DEFAULT_SCHEMA_PUSH_TIMEOUT_MS,
  SchemaPushFailedError,
  SchemaPushTimeoutError,
  pushSchema,
} from '../../runtime/aws/appsync-schema.ts';

/** The schema the embedded server serves and AppSync gets. */
const DEFAULT_SCHEMA_FILE = fileURLToPath(new URL('../../api/schema.graphql', import.meta.url));

/**
 * `biilive schema check | push | print`: the seed's schema-push script without base64 by hand.
 * `push` checks the file against what AppSync accepts first (src/api/appsync/schema-check.ts) and
 * refuses (exit 2) on an error; then StartSchemaCreation and the wait on GetSchemaCreationStatus,
 * printing AppSync's own error text if it fails (exit 1).
 */
export function registerSchema(program: Command): void {
  const schema = program.command('schema').description('the GraphQL schema: check it against AppSync, push it to an AppSync API, print it');
  const fileOption = ['--file <path>', 'schema file (default: src/api/schema.graphql of this package)'] as const;

  schema
    .command('check')
    .description('check the schema against what AppSync accepts (exit 2 if AppSync would reject it)')
    .option(...fileOption)
    .option('--json', 'print the problems as JSON')
    .action((opts: { file?: string; json?: boolean }) => {
      const schemaFile = readSchema(opts.file);
      if (!schemaFile) return;
      const { label, bytes } = schemaFile;
      const problems = checkAppSyncSchema(bytes.toString('utf8'));
      if (opts.json) process.stdout.write(`${JSON.stringify({ file: label, problems }, null, 2)}\n`);
      else {
        for (const p of problems) process.stdout.write(`${formatSchemaProblem(p, label)}\n`);
        process.stdout.write(`${label}: ${summary(problems)}\n`);
      }
      if (hasErrors(problems)) process.exitCode = 2;
    });

  schema
    .command('push')
    .description('push the schema to an AppSync API (StartSchemaCreation, then wait for SUCCESS or FAILED)')
    .requiredOption('--api-id <id>', 'the AppSync API id')
    .option('--region <region>', 'AWS region of the API (default: AWS_REGION, then the AWS profile)')
    .option(...fileOption)
    .option('--dry-run', 'check the schema and say what would be sent; call nothing')
    .option('--poll-interval <seconds>', `seconds between status checks (default ${DEFAULT_SCHEMA_POLL_INTERVAL_MS / 1000})`, positiveNumber)
    .option('--timeout <seconds>', `give up waiting after this many seconds (default ${DEFAULT_SCHEMA_PUSH_TIMEOUT_MS / 1000})`, positiveNumber)
    .action(async (opts: PushOptions) => {
      const apiId = opts.apiId.trim();
      if (!apiId) return usage('--api-id is empty');
      const schemaFile = readSchema(opts.file);
      if (!schemaFile) return;
      const { label, bytes } = schemaFile;
      const problems = checkAppSyncSchema(bytes.toString('utf8'));
      for (const p of problems) process.stderr.write(`${formatSchemaProblem(p, label)}\n`);
      if (hasErrors(problems)) {
        const errors = problems.filter((p) => p.severity === 'error').length;
        return usage(`schema push refused: ${errors} problem(s) above that AppSync would reject; nothing was sent`);
      }
      const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      const target = `AppSync API ${apiId}${region ? ` in ${region}` : ''}`;
      if (opts.dryRun) {
        process.stdout.write(`dry run: ${label} (${bytes.length} bytes) passes the check; it would be sent to ${target}\n`);
        return;
      }
      process.stdout.write(`pushing ${label} (${bytes.length} bytes) to ${target}\n`);
      let last = '';
      try {
        const result = await pushSchema({
          apiId,
          definition: bytes,
          region,
          pollIntervalMs: opts.pollInterval !== undefined ? opts.pollInterval * 1000 : undefined,
          timeoutMs: opts.timeout !== undefined ? opts.timeout * 1000 : undefined,
          onStatus: (status) => {
            if (status !== last) process.stdout.write(`  ${status}\n`);
            last = status;
          },
        });
        process.stdout.write(`schema ${result.status} on ${target}${result.details ? `: ${result.details}` : ''}\n`);
      } catch (err) {
        if (err instanceof SchemaPushFailedError) {
          process.stderr.write(`biilive: AppSync rejected the schema (${err.status}): ${err.details ?? 'no details given'}\n`);
        } else if (err instanceof SchemaPushTimeoutError) {
          process.stderr.write(
            `biilive: ${err.message}; see \`aws appsync get-schema-creation-status --api-id ${apiId}\`\n`,
          );
        } else {
          // AppSync's control plane said no (NotFoundException, ConcurrentModificationException, credentials...).
          const e = err as Error;
          process.stderr.write(`biilive: schema push failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}\n`);
        }
        process.exitCode = 1;
      }
    });

  schema
    .command('print')
    .description('print the schema as it is deployed to AppSync (without the prelude the embedded server adds)')
    .option(...fileOption)
    .action((opts: { file?: string }) => {
      const schemaFile = readSchema(opts.file);
      if (schemaFile) process.stdout.write(schemaFile.bytes.toString('utf8'));
    });
}

interface PushOptions {
  apiId: string;
  region?: string;
  file?: string;
  dryRun?: boolean;
  pollInterval?: number;
  timeout?: number;
}

/** The file's bytes, unchanged; a file that cannot be read is a usage error (printed, exit 2). */
function readSchema(file: string | undefined): { label: string; bytes: Buffer } | undefined {
  const path = resolve(file ?? DEFAULT_SCHEMA_FILE);
  const rel = relative(process.cwd(), path);
  const label = rel && !rel.startsWith('..') ? rel : path;
  try {
    return { label, bytes: readFileSync(path) };
  } catch (err) {
    usage(`cannot read the schema file ${label}: ${(err as Error).message}`);
    return undefined;
  }
}

function summary(problems: readonly SchemaProblem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  return `${errors} error(s), ${warnings} warning(s)`;
}

function usage(message: string): void {
  process.stderr.write(`biilive: ${message}\n`);
  process.exitCode = 2;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidOptionArgumentError('must be a positive number of seconds');
  return n;
}
