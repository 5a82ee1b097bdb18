/**
 * CalculateRankings: the seed's daily Lambda. Input: EventBridge's scheduled event; output: the
 * run's summary. The snapshot date is the event's `time` (UTC date), so a delayed or replayed
 * event still produces that day's snapshot. The work itself is src/domain/rankings/calculate.ts.
 *
 * The same handler runs as the Lambda on AWS, in process, and in a worker thread embedded
 * (worker.ts): it needs only a Tables port, the table names and the config.
 */
import type { Config } from '../../config/schema.ts';
import { calculateRankings, type RankingsProgress, type RankingsSummary } from '../../domain/rankings/calculate.ts';
import type { RankingsFaultInjector } from '../../domain/rankings/snapshot-writer.ts';
import type { TableNames } from '../../domain/tables.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { Tables } from '../../ports/tables.ts';
import { snapshotDateOf, type ScheduledEvent } from './scheduled-event.ts';

export type { RankingsProgress, RankingsSummary } from '../../domain/rankings/calculate.ts';
export const CALCULATE_RANKINGS = 'CalculateRankings';

export interface CalculateRankingsDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'rankings'>;
  config: { points: Pick<Config['points'], 'levels'>; rankings: Pick<Config['rankings'], 'retentionDays' | 'scanPageSize'> };
  clock?: Clock;
  /** Test hook: throwing simulates a crash before a commit (see snapshot-writer.ts). */
  faultInjector?: RankingsFaultInjector;
  /** Snapshot items per write transaction (default and maximum 98). */
  itemsPerBatch?: number;
}

export interface CalculateRankings {
  handler(event: ScheduledEvent, options?: { onProgress?: (p: RankingsProgress) => void }): Promise<RankingsSummary>;
}

export function createCalculateRankings(deps: CalculateRankingsDeps): CalculateRankings {
  return {
    async handler(event, options = {}) {
      const date = snapshotDateOf(event);
      return calculateRankings(
        {
          tables: deps.tables,
          tableNames: deps.tableNames,
          clock: deps.clock ?? systemClock,
          levels: deps.config.points.levels,
          rankings: deps.config.rankings,
          faultInjector: deps.faultInjector,
          itemsPerBatch: deps.itemsPerBatch,
        },
        { date, onProgress: options.onProgress },
      );
    },
  };
}
