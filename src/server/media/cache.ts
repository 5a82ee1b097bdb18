/**
 * In-memory LRU of hot media objects (whole objects only, up to a size each and a total), with
 * CloudFront invalidation semantics (src/domain/media/cdn-paths.ts). `epoch` moves on every
 * invalidation: a fill that read the store before an invalidation is dropped, so a deleted or
 * replaced object is never cached again by a request that raced the invalidation.
 */
import { invalidationMatcher } from '../../domain/media/cdn-paths.ts';

export interface CachedObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: number;
  /** The full 200 response headers, built once at fill time (the hot path only writes them). */
  headers: Record<string, string>;
}

export class HotObjectCache {
  private readonly entries = new Map<string, CachedObject>();
  private bytes = 0;
  epoch = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxBytes: number,
    readonly objectMaxBytes: number,
  ) {}

  /** Whether an object of this size may be cached at all. */
  accepts(size: number): boolean {
    return size <= this.objectMaxBytes && size <= this.maxBytes && this.maxBytes > 0;
  }

  get(path: string): CachedObject | undefined {
    const entry = this.entries.get(path);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(path);
    this.entries.set(path, entry);
    return entry;
  }

  /** Stores `entry` unless an invalidation happened since `epochAtRead` (then: false). */
  set(path: string, entry: CachedObject, epochAtRead: number): boolean {
    if (epochAtRead !== this.epoch || !this.accepts(entry.body.length)) return false;
    this.remove(path);
    this.entries.set(path, entry);
    this.bytes += entry.body.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.body.length;
    }
    return true;
  }

  /** Drops every entry matching the (already validated) paths; returns how many. */
  invalidate(paths: readonly string[]): number {
    this.epoch++;
    const matches = invalidationMatcher(paths);
    let removed = 0;
    for (const path of [...this.entries.keys()]) {
      if (matches(path)) {
        this.remove(path);
        removed++;
      }
    }
    return removed;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private remove(path: string) {
    const old = this.entries.get(path);
    if (!old) return;
    this.entries.delete(path);
    this.bytes -= old.body.length;
  }
}
