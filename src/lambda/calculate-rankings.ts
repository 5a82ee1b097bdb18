/** Lambda: CalculateRankings, on the daily EventBridge schedule. The snapshot date is the event's `time`. */
import { createCalculateRankings, CALCULATE_RANKINGS } from '../functions/calculate-rankings/handler.ts';
import type { ScheduledEvent } from '../functions/calculate-rankings/scheduled-event.ts';
import { lambdaSystemOnce } from '../runtime/lambda.ts';

let fn: ReturnType<typeof createCalculateRankings> | undefined;

export async function handler(event: ScheduledEvent) {
  const { tables, config, log } = lambdaSystemOnce();
  fn ??= createCalculateRankings({ tables, tableNames: config.tables, config });
  const summary = await fn.handler(event, {
    onProgress: (progress) => log.debug({ function: CALCULATE_RANKINGS, progress }, 'progress'),
  });
  log.info({ function: CALCULATE_RANKINGS, summary }, 'CalculateRankings done');
  return summary;
}
