/**
 * Amplify JS v6, unchanged, in a child process (test/e2e/amplify-child.mjs): a job of steps in,
 * one result line per step out. Amplify is a process-wide singleton, and a self-signed certificate
 * can only be trusted through NODE_EXTRA_CA_CERTS at process start, hence the process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../e2e/amplify-child.mjs', import.meta.url));

export type AmplifyStep = { op: string; [arg: string]: unknown };
export type AmplifyResult =
  | { op: string; ok: true; result: Record<string, unknown> | null }
  | { op: string; ok: false; error: { name?: string; message?: string; underlying?: { name?: string; message?: string } } };

export interface AmplifyJob {
  config: object;
  /** Options merged into every Storage call (e.g. customEndpoint, as `biilive info --amplify` prints). */
  storageOptions?: object;
  steps: AmplifyStep[];
}

/** Runs the steps in a fresh Amplify process; resolves with one result per step (killed after `timeoutMs`). */
export function runAmplify(job: AmplifyJob, options: { caCertPath?: string; timeoutMs?: number } = {}): Promise<AmplifyResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], {
      env: {
        ...process.env,
        BIILIVE_AMPLIFY_JOB: JSON.stringify(job),
        ...(options.caCertPath ? { NODE_EXTRA_CA_CERTS: options.caCertPath } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const results = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as AmplifyResult);
      if (results.length !== job.steps.length) {
        reject(new Error(`Amplify ran ${results.length} of ${job.steps.length} steps (exit ${code ?? signal}):\n${out}\n${err}`));
      } else resolve(results);
    });
  });
}

/** The result of a step that must have succeeded. */
export function okResult(r: AmplifyResult | undefined): Record<string, unknown> {
  if (!r) throw new Error('no such step');
  if (!r.ok) throw new Error(`Amplify ${r.op} failed: ${JSON.stringify(r.error)}`);
  return r.result ?? {};
}
