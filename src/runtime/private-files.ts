import { chmodSync, closeSync, existsSync, openSync, writeFileSync } from 'node:fs';

/** Creates a file (if missing) with mode 0600 whatever the umask, e.g. before SQLite opens it. */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/** Writes a file readable by its owner only (also when it existed with a wider mode). */
export function writePrivateFile(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}
