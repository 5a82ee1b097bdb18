/**
 * The console's files: its own page, style and ES modules (./public, plain files, no build step) and
 * the libraries it loads from node_modules as published (uPlot for the graphs; React 18 UMD and
 * GraphiQL 3 for the explorer). Read once, kept in memory, served with a strict CSP.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));

/** The directory of an installed package (its package.json), found from its main entry. */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${name} package`);
    dir = up;
  }
}

const VENDOR: Record<string, [pkg: string, file: string]> = {
  'uPlot.iife.min.js': ['uplot', 'dist/uPlot.iife.min.js'],
  'uPlot.min.css': ['uplot', 'dist/uPlot.min.css'],
  'react.production.min.js': ['react', 'umd/react.production.min.js'],
  'react-dom.production.min.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.min.js': ['graphiql', 'graphiql.min.js'],
  'graphiql.min.css': ['graphiql', 'graphiql.min.css'],
};
const OWN = ['index.html', 'console.css', 'console.js', 'ui.js', 'overview.js', 'people.js', 'operations.js', 'graphql.js'];

const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export interface Asset {
  body: Buffer;
  type: string;
  /** Vendor files never change within a release: cached; the console's own: revalidated. */
  cacheControl: string;
}

export class ConsoleAssets {
  private readonly cache = new Map<string, Asset>();

  /** `path` below /console/: '' (the page), 'static/<file>' or 'vendor/<file>'; undefined = not found. */
  get(path: string): Asset | undefined {
    const hit = this.cache.get(path);
    if (hit) return hit;
    let file: string | undefined;
    let cacheControl = 'no-cache';
    if (path === '' || path === 'index.html') file = join(PUBLIC, 'index.html');
    else if (path.startsWith('static/') && OWN.includes(path.slice(7))) file = join(PUBLIC, path.slice(7));
    else if (path.startsWith('vendor/') && VENDOR[path.slice(7)]) {
      const [pkg, rel] = VENDOR[path.slice(7)];
      file = join(packageDir(pkg), rel);
      cacheControl = 'public, max-age=86400';
    }
    if (!file) return undefined;
    const asset = { body: readFileSync(file), type: TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream', cacheControl };
    this.cache.set(path, asset);
    return asset;
  }
}
