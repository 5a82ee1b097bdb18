/** `biilive doctor counters [--fix]`: the recount, aware of what the counters consumer has not applied yet. */
import { recount, type Drift, type RecountOptions } from '../../domain/social/recount.ts';
import type { TableNames } from '../../domain/tables.ts';
import type { Tables } from '../../ports/tables.ts';
import { counterBacklog } from './backlog.ts';

export type { Drift } from '../../domain/social/recount.ts';

export interface DoctorCountersOptions extends Omit<RecountOptions, 'fix'> {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'social' | 'system'>;
  fix?: boolean;
}

export interface DoctorCountersResult {
  users: number;
  drift: Drift[];
  fixed: number;
  /** Users whose graph kept changing while measured (only under live load); run again. */
  unstable: string[];
}

export function doctorCounters(options: DoctorCountersOptions): Promise<DoctorCountersResult> {
  const { tables, tableNames, ...rest } = options;
  return recount({ tables, tableNames, backlog: counterBacklog({ tables, tableNames }) }, rest);
}
