/** Listing for the fs blob store: a folder walk, filtered and sorted as S3 lists (UTF-8 byte order). */
import { promises as fs, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Every key of the bucket folder `dir` that starts with `prefix` and sorts after `after`, in order.
 * Only the folder holding the prefix's last '/' is walked. Entries starting with '.' (the store's
 * own `.biilive/` folder, temp files) are never keys.
 */
export async function keysUnder(dir: string, prefix: string, after?: string): Promise<string[]> {
  const slash = prefix.lastIndexOf('/');
  const base = slash === -1 ? '' : prefix.slice(0, slash);
  const keys: string[] = [];
  await walk(dir, base ? join(dir, base) : dir, (key) => {
    if (key.startsWith(prefix) && (after === undefined || utf8Order(key, after) > 0)) keys.push(key);
  });
  return keys.sort(utf8Order);
}

async function walk(root: string, dir: string, visit: (key: string) => void): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, path, visit);
    else if (entry.isFile()) visit(relative(root, path).split(sep).join('/'));
  }
}
