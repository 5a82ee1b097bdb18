/**
 * A long console action (counter check or repair) run in the background, one at a time per kind:
 * the console starts it and polls its progress, so no HTTP request waits on a scan of every user.
 */
export interface JobView<P, R> {
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  progress?: P;
  result?: R;
  error?: string;
}

export class Job<P, R> {
  private current: JobView<P, R> | null = null;
  private running?: Promise<unknown>;

  /** Starts `work` unless a run is in progress (then returns that one). */
  start(work: (progress: (p: P) => void) => Promise<R>): JobView<P, R> {
    if (this.current?.state === 'running') return this.current;
    const view: JobView<P, R> = { state: 'running', startedAt: new Date().toISOString() };
    this.current = view;
    this.running = work((p) => (view.progress = p)).then(
      (result) => Object.assign(view, { state: 'done', result, finishedAt: new Date().toISOString() }),
      (err: unknown) => Object.assign(view, { state: 'failed', error: (err as Error)?.message ?? String(err), finishedAt: new Date().toISOString() }),
    );
    return view;
  }

  view(): JobView<P, R> | null {
    return this.current;
  }

  /** Resolves when the run in progress (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }
}
