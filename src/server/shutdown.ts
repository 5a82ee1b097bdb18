import type { Logger } from '../ports/logger.ts';

/** One shutdown step: gets the time left of the whole bound. */
export type ShutdownStep = [name: string, run: (remainingMs: number) => Promise<void>];

/**
 * Runs the steps in order within `boundMs` in total. A step that fails is logged and the next one
 * runs; once the bound is spent, the step running is abandoned (its promise is left to settle,
 * observed, never rejected unhandled) and the rest are skipped. Resolves true when every step
 * finished cleanly.
 */
export async function boundedSteps(boundMs: number, log: Logger, steps: ShutdownStep[]): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  let clean = true;
  for (const [name, run] of steps) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      log.warn({ step: name }, 'shutdown bound reached: step skipped');
      clean = false;
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    const step = Promise.resolve()
      .then(() => run(remaining))
      .then(
        () => 'done' as const,
        (err: unknown) => {
          log.warn({ err, step: name }, 'shutdown step failed');
          return 'failed' as const;
        },
      );
    const outcome = await Promise.race([step, new Promise<'timeout'>((ok) => (timer = setTimeout(() => ok('timeout'), remaining)))]);
    clearTimeout(timer);
    if (outcome === 'timeout') log.warn({ step: name, boundMs }, 'shutdown step did not finish within the bound: abandoned');
    if (outcome !== 'done') clean = false;
  }
  return clean;
}
