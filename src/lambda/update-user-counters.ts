/**
 * Lambda: UpdateUserCounters, on BIIHLIVE-SOCIAL-V2's stream. Returns partial batch failures
 * (ReportBatchItemFailures); the handler's ledger keeps the effect exactly-once across Lambda's
 * redeliveries (src/functions/update-user-counters/handler.ts).
 */
import { createUpdateUserCounters } from '../functions/update-user-counters/handler.ts';
import type { DynamoDBStreamEvent } from '../functions/stream-event.ts';
import { lambdaSystemOnce } from '../runtime/lambda.ts';

let fn: ReturnType<typeof createUpdateUserCounters> | undefined;

export async function handler(event: DynamoDBStreamEvent) {
  if (!fn) {
    const { tables, config } = lambdaSystemOnce();
    fn = createUpdateUserCounters({ tables, tableNames: config.tables });
  }
  return fn.handler(event);
}
