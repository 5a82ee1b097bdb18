/**
 * The CDK app synthesized once per test run: scripts/run-tests.mjs runs this file as a program
 * (`node --import tsx test/support/cdk-template.ts <dir>`) before the tests and passes the
 * directory in TEST_CDK_OUTDIR; a test file run by hand without it synthesizes into a temp
 * dir once per process. Synthesis is `infra/app.ts` with cdk.json's context, exactly what
 * `npx cdk synth` runs, plus the path and asset metadata the CDK CLI turns on (tests find each
 * function's bundle through it). It needs no AWS account and makes no AWS call.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Not BIILIVE_-prefixed: the config loader refuses unknown BIILIVE_* variables, and tests pass their environment to biilive. */
export const CDK_OUT_ENV = 'TEST_CDK_OUTDIR';
export const STACK = 'BiiliveStack';
/** Bundling five functions (one installs sharp) takes tens of seconds on two cores. */
const SYNTH_TIMEOUT_MS = 10 * 60_000;

/** A CloudFormation template as JSON (Template.fromJSON takes it). */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown>; [key: string]: unknown }>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  [key: string]: unknown;
}

/** cdk-nag's findings (CDK policy validation report). */
export interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion: 'success' | 'failure';
    violations: Array<{ ruleName: string; severity: string; violatingConstructs: Array<{ constructPath: string }> }>;
    suppressedViolations?: Array<{ ruleName: string; reason?: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

export interface Synthesized {
  /** The cloud assembly directory (asset.<hash>/ holds each bundle). */
  cdkOut: string;
  template: CfnTemplate;
  validation: ValidationReport;
}

/** The environment that makes `node --import tsx infra/app.ts` synthesize into `outdir`. */
export function synthEnv(outdir: string): NodeJS.ProcessEnv {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const context = { ...cdkJson.context, 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };
  return { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) };
}

/** Synthesizes the app into `outdir` (created by the caller); throws with the app's output on failure. */
export async function synthesize(outdir: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'infra', 'app.ts')], {
      cwd: ROOT,
      env: synthEnv(outdir),
      timeout: SYNTH_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`cdk synth failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Reads a synthesized assembly. */
export function readAssembly(cdkOut: string): Synthesized {
  const read = <T>(file: string) => JSON.parse(readFileSync(join(cdkOut, file), 'utf8')) as T;
  const report = join(cdkOut, 'validation-report.json');
  return {
    cdkOut,
    template: read<CfnTemplate>(`${STACK}.template.json`),
    validation: existsSync(report) ? read<ValidationReport>('validation-report.json') : { pluginReports: [] },
  };
}

let cached: Promise<Synthesized> | undefined;

/** This run's synthesized stack: TEST_CDK_OUTDIR's, or synthesized once for this process. */
export function synthesized(): Promise<Synthesized> {
  cached ??= (async () => {
    const given = process.env[CDK_OUT_ENV];
    if (given) return readAssembly(given);
    const dir = mkdtempSync(join(tmpdir(), 'biilive-cdk-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await synthesize(dir);
    return readAssembly(dir);
  })();
  return cached;
}

// As a program: synthesize into the directory given (scripts/run-tests.mjs).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = process.argv[2];
  if (!outdir) {
    process.stderr.write('usage: node --import tsx test/support/cdk-template.ts <outdir>\n');
    process.exit(2);
  }
  synthesize(outdir).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
