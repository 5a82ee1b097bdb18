/**
 * The data directory's protection: it holds the token-signing keys, the media URL secret, the
 * password hashes and the API key (in biilive.sqlite, server.json and tls/key.pem), so it is
 * private to the user running the server, and one server at a time serves it.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tryExclusiveLock, type FileLock } from '../adapters/sqlite/dir-lock.ts';
import { readRuntimeInfo } from './endpoints.ts';
import { createPrivateFile } from './private-files.ts';
import { StartupError } from './store.ts';

/** Files (relative to the data dir) that hold secrets: never readable by other users. */
export const KEY_MATERIAL = ['biilive.sqlite', 'biilive.sqlite-wal', 'biilive.sqlite-shm', 'server.json', 'tls/key.pem'];
const LOCK_FILE = 'serve.lock';

/**
 * New files and folders of this process are the owner's only (0600 / 0700), whoever creates them
 * (SQLite, the media store, the TLS generator). Called once at process start by the CLI.
 */
export function restrictFileModes(): void {
  process.umask(0o077);
}

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

/**
 * Creates the data dir (0700) if missing; refuses (StartupError, exit code 2) to use one that other
 * users can enter or whose key material they can read (also `keyFiles` outside it, such as
 * --tls-key), with the one-line fix.
 */
export function prepareDataDir(dir: string, keyFiles: string[] = []): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const fix = `fix: chmod -R go-rwx '${dir}'`;
  const dirMode = mode(dir);
  if (dirMode & 0o077) {
    throw new StartupError(`the data directory ${dir} is open to other users (mode ${octal(dirMode)}); it holds signing keys, password hashes and the API key. ${fix}`);
  }
  const exposed = KEY_MATERIAL.filter((f) => existsSync(join(dir, f)) && mode(join(dir, f)) & 0o077);
  if (exposed.length > 0) {
    const list = exposed.map((f) => `${f} (${octal(mode(join(dir, f)))})`).join(', ');
    throw new StartupError(`key material in ${dir} is readable by other users: ${list}. ${fix}`);
  }
  for (const file of keyFiles) {
    const m = existsSync(file) ? mode(file) : 0;
    if (m & 0o077) throw new StartupError(`the private key ${file} is readable by other users (mode ${octal(m)}). fix: chmod 600 '${file}'`);
  }
}

/**
 * One server per data directory: takes the directory's lock, or throws StartupError naming the
 * server that holds it (its PID and port, from its server.json). Maintenance commands never take
 * it, so they keep working beside a running server.
 */
export function lockDataDir(dir: string): FileLock {
  createPrivateFile(join(dir, LOCK_FILE));
  const lock = tryExclusiveLock(join(dir, LOCK_FILE));
  if (lock) return lock;
  const holder = readRuntimeInfo(dir);
  const who = holder
    ? `PID ${holder.pid}${holder.port !== undefined ? `, port ${holder.port}` : ', still starting'}`
    : 'still starting';
  throw new StartupError(`another biilive server (${who}) is serving ${dir}; stop it first, or use another --data-dir`);
}
