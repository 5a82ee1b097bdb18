/**
 * What ProcessProfilePhoto did lately in this process, for the console's Media page: processed
 * uploads (with their thumbnail), refused ones with the reason, and runs that failed with the
 * error (the upload stays in quarantine then). Kept in memory, newest first, at most `limit`.
 */
import type { PhotoRun } from './photo-trigger.ts';

export interface MediaEvent {
  /** ISO time. */
  at: string;
  upload: string;
  status: 'processed' | 'rejected' | 'failed' | 'missing';
  key?: string;
  thumbnailKey?: string;
  reason?: string;
}

export class MediaActivity {
  private readonly events: MediaEvent[] = [];

  constructor(private readonly limit: number) {}

  record(run: PhotoRun, at = new Date()): void {
    const time = at.toISOString();
    if (run.error !== undefined) {
      const e = run.error as Error;
      this.push({ at: time, upload: run.key, status: 'failed', reason: `${e?.name ?? 'Error'}: ${e?.message ?? String(run.error)}` });
      return;
    }
    for (const { key, outcome } of run.results ?? []) {
      if (outcome.status === 'processed') this.push({ at: time, upload: key, status: 'processed', key: outcome.key, thumbnailKey: outcome.thumbnailKey });
      else if (outcome.status === 'rejected') this.push({ at: time, upload: key, status: 'rejected', reason: outcome.reason });
      else if (outcome.status === 'missing') this.push({ at: time, upload: key, status: 'missing' });
    }
  }

  /** Newest first. */
  recent(): MediaEvent[] {
    return [...this.events];
  }

  private push(event: MediaEvent): void {
    this.events.unshift(event);
    if (this.events.length > this.limit) this.events.length = this.limit;
  }
}
