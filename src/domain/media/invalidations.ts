/**
 * CDN invalidations shared by every server of an installation through the system table (a server's
 * hot-object cache polls them), so `biilive cdn invalidate --paths` works from another process and
 * reaches every replica, embedded or scaled out. Items (src/domain/tables.ts): pk "CDN", sk
 * "GENERATION" holds the last number; pk "CDN#INVALIDATIONS", sk = number, 12 digits, holds the
 * paths. Both are written in one transaction conditioned on the previous number, so a reader that
 * sees number N can read every invalidation up to N.
 */
import type { Clock } from '../../ports/clock.ts';
import { TransactionCanceledError, type Tables } from '../../ports/tables.ts';
import { conflict } from '../errors.ts';
import { validateInvalidationPaths } from './cdn-paths.ts';

const COUNTER = { pk: 'CDN', sk: 'GENERATION' };
const LOG_PK = 'CDN#INVALIDATIONS';
const pad = (n: number) => String(n).padStart(12, '0');

export interface Invalidation {
  /** CloudFront-style id ("I" + the generation). */
  id: string;
  generation: number;
  paths: string[];
  createdAt: string;
}

export interface CdnInvalidationsDeps {
  tables: Tables;
  systemTable: string;
  clock: Clock;
}

export class CdnInvalidations {
  constructor(private readonly deps: CdnInvalidationsDeps) {}

  /** Records an invalidation (paths validated per CloudFront); servers apply it on their next poll. */
  async create(paths: unknown): Promise<Invalidation> {
    const valid = validateInvalidationPaths(paths);
    const { tables, systemTable, clock } = this.deps;
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.generation();
      const generation = current + 1;
      const createdAt = new Date(clock.now()).toISOString();
      try {
        await tables.transactWrite([
          {
            update: {
              table: systemTable,
              key: COUNTER,
              set: { generation },
              condition: current === 0 ? { notExists: 'generation' } : { attr: 'generation', op: '=', value: current },
            },
          },
          { put: { table: systemTable, item: { pk: LOG_PK, sk: pad(generation), paths: valid, createdAt }, condition: { notExists: 'pk' } } },
        ]);
        return { id: `I${generation}`, generation, paths: valid, createdAt };
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
      }
    }
    throw conflict('too many concurrent invalidations; try again');
  }

  /** The number of the last invalidation (0: none yet). */
  async generation(): Promise<number> {
    const item = await this.deps.tables.get(this.deps.systemTable, COUNTER, { consistent: true });
    return typeof item?.generation === 'number' ? item.generation : 0;
  }

  /** Every invalidation after `generation`, oldest first. */
  async since(generation: number): Promise<Invalidation[]> {
    const out: Invalidation[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.tables.query({
        table: this.deps.systemTable,
        partition: LOG_PK,
        sort: { op: '>', value: pad(generation) },
        consistent: true,
        cursor,
      });
      for (const item of page.items) {
        const g = Number(item.sk);
        out.push({ id: `I${g}`, generation: g, paths: (item.paths as string[]) ?? [], createdAt: String(item.createdAt ?? '') });
      }
      cursor = page.cursor;
    } while (cursor);
    return out;
  }
}
