import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Running {
  child: ChildProcess;
  stdout: string;
  stop(): Promise<void>;
}

/** Starts a child process and resolves once `ready` matches its stdout. */
export function startProcess(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout starting ${args.join(' ')}\n${stderr}`)), 60_000);
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (ready.test(stdout)) {
        clearTimeout(timer);
        resolve({
          child,
          get stdout() {
            return stdout;
          },
          stop: () =>
            new Promise<void>((ok) => {
              if (child.exitCode !== null) return ok();
              child.once('exit', () => ok());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}\n${stderr}`)));
  });
}

export const biiliveBin = `${root}bin/biilive.js`;
