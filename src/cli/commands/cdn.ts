import { InvalidOptionArgumentError, type Command } from 'commander';
import { AppError, ErrorCode } from '../../domain/errors.ts';
import { CdnInvalidations } from '../../domain/media/invalidations.ts';
import { systemClock } from '../../ports/clock.ts';
import { openStore } from '../../runtime/store.ts';
import {
  DEFAULT_INVALIDATION_POLL,
  DEFAULT_INVALIDATION_WAIT_SECONDS,
  createInvalidation,
  waitForInvalidation,
} from '../../runtime/aws/cloudfront-invalidation.ts';
import { configFrom, withConfigOptions } from '../options.ts';

/**
 * `biilive cdn invalidate --paths "/profile-photos/*" [--paths ...] [--json]`: records a
 * CloudFront-style invalidation in the system table; every server of the installation (any
 * replica, embedded or scaled out) drops the matching cached objects on its next poll.
 * With `--distribution-id ID` the same paths go to that CloudFront distribution instead
 * (CreateInvalidation; `--wait` waits until CloudFront reports it Completed).
 */
export function registerCdn(program: Command): void {
  const cdn = program.command('cdn').description('the embedded CDN (media cache behaviours), or a CloudFront distribution');

  withConfigOptions(
    cdn
      .command('invalidate')
      .description('drop cached media objects on every server (CloudFront path semantics); with --distribution-id, invalidate on CloudFront'),
  )
    .requiredOption('--paths <path...>', 'paths to invalidate, each starting with "/", optional trailing "*" (repeatable)', collect)
    .option('--distribution-id <id>', 'a CloudFront distribution: CreateInvalidation there instead of the embedded CDN')
    .option('--wait', 'with --distribution-id: wait until CloudFront reports the invalidation Completed')
    .option('--poll-interval <seconds>', `with --wait: first delay between status checks (default ${DEFAULT_INVALIDATION_POLL.minDelaySeconds}, backing off)`, positiveNumber)
    .option('--timeout <seconds>', `with --wait: stop waiting after this many seconds (default ${DEFAULT_INVALIDATION_WAIT_SECONDS})`, positiveNumber)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      if (opts.distributionId !== undefined) return invalidateCloudFront(opts);
      if (opts.wait) {
        // The embedded CDN applies an invalidation on each server's next poll: nothing to wait for.
        process.stderr.write('biilive: --wait needs --distribution-id (the embedded CDN has nothing to wait for)\n');
        process.exitCode = 2;
        return;
      }
      const config = configFrom(opts);
      const tables = await openStore(config, { clock: systemClock });
      try {
        const inv = await new CdnInvalidations({ tables, systemTable: config.tables.system, clock: systemClock }).create(opts.paths);
        if (opts.json) process.stdout.write(`${JSON.stringify(inv, null, 2)}\n`);
        else process.stdout.write(`invalidation ${inv.id} created at ${inv.createdAt}\n${inv.paths.map((p) => `  ${p}`).join('\n')}\n`);
      } catch (err) {
        if (!refused(err)) throw err;
      } finally {
        await tables.close();
      }
    });
}

interface CloudFrontOptions {
  distributionId: string;
  paths: string[];
  wait?: boolean;
  json?: boolean;
  region?: string;
  pollInterval?: number;
  timeout?: number;
}

async function invalidateCloudFront(opts: CloudFrontOptions): Promise<void> {
  if (!opts.distributionId.trim()) {
    process.stderr.write('biilive: --distribution-id is empty\n');
    process.exitCode = 2;
    return;
  }
  try {
    const inv = await createInvalidation({ distributionId: opts.distributionId, paths: opts.paths, region: opts.region });
    if (opts.json) process.stdout.write(`${JSON.stringify(inv, null, 2)}\n`);
    else {
      process.stdout.write(
        `CloudFront invalidation ${inv.id} (${inv.status}) on ${inv.distributionId}\n${inv.paths.map((p) => `  ${p}`).join('\n')}\n`,
      );
    }
    if (opts.wait) {
      if (!opts.json) process.stdout.write(`waiting for ${inv.id} to complete...\n`);
      await waitForInvalidation(inv.distributionId, inv.id, {
        region: opts.region,
        minDelaySeconds: opts.pollInterval,
        maxDelaySeconds: opts.pollInterval !== undefined ? Math.max(opts.pollInterval, DEFAULT_INVALIDATION_POLL.maxDelaySeconds) : undefined,
        maxWaitSeconds: opts.timeout,
      });
      if (opts.json) process.stdout.write(`${JSON.stringify({ id: inv.id, status: 'Completed' })}\n`);
      else process.stdout.write(`invalidation ${inv.id} Completed\n`);
    }
  } catch (err) {
    if (refused(err)) return;
    // CloudFront's own answer (NoSuchDistribution, AccessDenied, TooManyInvalidationsInProgress...).
    const e = err as Error;
    process.stderr.write(`biilive: CloudFront invalidation failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}\n`);
    process.exitCode = 1;
  }
}

/** Bad paths are a usage error (exit 2), as CloudFront answers InvalidArgument; other AppErrors exit 1. */
function refused(err: unknown): boolean {
  if (!(err instanceof AppError)) return false;
  process.stderr.write(`biilive: cdn invalidate refused (${err.code}): ${err.message}\n`);
  process.exitCode = err.code === ErrorCode.BadRequest ? 2 : 1;
  return true;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidOptionArgumentError('must be a positive number of seconds');
  return n;
}

/** `--paths a --paths b` and `--paths a b` both accumulate. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
