import type { Config } from '../../config/schema.ts';
import type { Item, Tables } from '../../ports/tables.ts';
import { badRequest } from '../errors.ts';
import { isUserId } from '../social/keys.ts';
import { pageSize, type PageLimits } from '../social/paging.ts';
import type { TableNames } from '../tables.ts';
import {
  bucketOf,
  chunkKey,
  dateOfSnapshot,
  decodeCursor,
  encodeCursor,
  POINTER_KEY,
  SCOPES,
  scopePartition,
  sortKey,
  usersPartition,
  type RankingScope,
} from './keys.ts';
import { normalizePlace, placeKeyPart } from './places.ts';
import { readPointer, type Pointer } from './runs.ts';

export type { RankingScope } from './keys.ts';

export interface RankingEntry {
  rank: number;
  userId: string;
  nickname: string;
  puntos: number;
  nivel: number;
  /** Display values of the user's city and country groups at snapshot time. */
  ciudad: string | null;
  pais: string | null;
}

export interface RankingsQuery {
  scope: RankingScope | string;
  /** Required for COUNTRY and CITY; matched normalised (case, accents, spaces). */
  pais?: string | null;
  /** Required for CITY. */
  ciudad?: string | null;
  limit?: number | null;
  /** nextToken from the previous page of the same ranking. */
  cursor?: string | null;
}

export interface RankingPage {
  /** Snapshot date (UTC YYYY-MM-DD); null when no snapshot exists yet. */
  date: string | null;
  scope: RankingScope;
  /** Display values of the ranked place (COUNTRY, CITY), when it has members. */
  pais: string | null;
  ciudad: string | null;
  /** Users in this ranking. */
  total: number;
  items: RankingEntry[];
  cursor?: string;
}

export interface MyRank extends RankingEntry {
  date: string;
  scope: RankingScope;
  total: number;
}

export interface RankingsServiceDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'rankings'>;
  limits: PageLimits & Pick<Config['limits'], 'placeMaxLength'>;
}

/**
 * Leaderboards and a user's own position, read from the current snapshot only (through its
 * pointer), so a run in progress or a crashed one is never visible. A page reads the pointer and
 * one or two chunk items; nextToken pins the snapshot, so paging stays on one consistent ranking
 * even when a new snapshot becomes current meanwhile (a token of a deleted snapshot is refused).
 */
export class RankingsService {
  private readonly tables: Tables;
  private readonly table: string;
  private readonly limits: RankingsServiceDeps['limits'];

  constructor(deps: RankingsServiceDeps) {
    this.tables = deps.tables;
    this.table = deps.tableNames.rankings;
    this.limits = deps.limits;
  }

  /** The current snapshot's metadata, or null before the first complete run. */
  async current(): Promise<Pointer | null> {
    return readPointer(await this.tables.get(this.table, POINTER_KEY)) ?? null;
  }

  async getRankings(input: RankingsQuery): Promise<RankingPage> {
    const query: Partial<RankingsQuery> = input ?? {};
    const scope = requireScope(query.scope);
    const suffix = this.scopeSuffix(scope, query.pais, query.ciudad);
    const limit = pageSize(query.limit, this.limits);
    const empty: RankingPage = { date: null, scope, pais: null, ciudad: null, total: 0, items: [] };

    if (query.cursor !== undefined && query.cursor !== null) {
      const cursor = typeof query.cursor === 'string' ? decodeCursor(query.cursor) : undefined;
      if (!cursor || cursor.p !== suffix) throw badRequest('Invalid nextToken', { field: 'nextToken' });
      const page = await this.page(cursor.s, cursor.c, suffix, scope, cursor.r, limit);
      if (!page) throw badRequest('nextToken has expired: that ranking snapshot no longer exists', { field: 'nextToken' });
      return page;
    }
    // A snapshot pruned between reading the pointer and its chunks: read the new pointer once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      const pointer = await this.current();
      if (!pointer) return empty;
      const page = await this.page(pointer.snapshotId, pointer.chunkSize, suffix, scope, 1, limit);
      if (page) return page;
      if (!(await this.snapshotExists(pointer.snapshotId))) continue;
      return { ...empty, date: pointer.date }; // nobody in this place
    }
    return empty;
  }

  /** The caller's position in their own GLOBAL, COUNTRY or CITY ranking; null if not ranked there. */
  async myRank(callerSub: string, scope: RankingScope | string): Promise<MyRank | null> {
    const s = requireScope(scope);
    if (!isUserId(callerSub)) throw badRequest('Invalid caller');
    for (let attempt = 0; attempt < 2; attempt++) {
      const pointer = await this.current();
      if (!pointer) return null;
      const { snapshotId, buckets, chunkSize } = pointer;
      const read = (partition: string, rank: number) => this.tables.get(this.table, chunkKey(partition, Math.floor((rank - 1) / chunkSize)));
      const bucket = await this.tables.get(this.table, { pk: usersPartition(snapshotId), sk: sortKey(bucketOf(callerSub, buckets)) });
      if (!bucket) continue; // pruned meanwhile
      const row = unpack(bucket.users).find((u) => u[0] === callerSub) as [string, number, number, number] | undefined;
      if (!row) return null;
      const [, globalRank, countryRank, cityRank] = row;
      // The GLOBAL entry names the user's places; their keys lead to the other rankings.
      let chunk = await read(scopePartition(snapshotId, 'GLOBAL'), globalRank);
      let rank = globalRank;
      const global = chunk && toEntry(chunk, (rank - 1) % chunkSize, rank);
      if (!chunk || !global) continue;
      if (s !== 'GLOBAL') {
        rank = s === 'COUNTRY' ? countryRank : cityRank;
        const pais = normalizePlace(global.pais);
        const ciudad = normalizePlace(global.ciudad);
        if (!rank || !pais || (s === 'CITY' && !ciudad)) return null;
        chunk = await read(scopePartition(snapshotId, s, placeKeyPart(pais), ciudad && placeKeyPart(ciudad)), rank);
        if (!chunk) continue;
      }
      const entry = toEntry(chunk, (rank - 1) % chunkSize, rank);
      if (!entry || entry.userId !== callerSub) return null;
      return { ...entry, date: pointer.date, scope: s, total: Number(chunk.total) };
    }
    return null;
  }

  private async page(snapshotId: string, chunkSize: number, suffix: string, scope: RankingScope, from: number, limit: number) {
    const partition = `${snapshotId}#${suffix}`;
    const first = Math.floor((from - 1) / chunkSize);
    const last = Math.floor((from + limit - 2) / chunkSize);
    const keys = [];
    for (let c = first; c <= last; c++) keys.push(chunkKey(partition, c));
    const chunks = new Map<unknown, Item>();
    for (let i = 0; i < keys.length; i += 100) {
      for (const item of await this.tables.batchGet(this.table, keys.slice(i, i + 100))) chunks.set(item.sk, item);
    }
    const head = chunks.get(keys[0].sk);
    if (!head) return undefined;
    const total = Number(head.total);
    const items: RankingEntry[] = [];
    for (let rank = from; rank < from + limit && rank <= total; rank++) {
      const chunk = chunks.get(sortKey(Math.floor((rank - 1) / chunkSize)));
      const entry = chunk && toEntry(chunk, (rank - 1) % chunkSize, rank);
      if (!entry) break;
      items.push(entry);
    }
    const next = from + items.length;
    return {
      date: dateOfSnapshot(snapshotId),
      scope,
      pais: typeof head.pais === 'string' ? head.pais : null,
      ciudad: typeof head.ciudad === 'string' ? head.ciudad : null,
      total,
      items,
      ...(items.length > 0 && next <= total ? { cursor: encodeCursor({ s: snapshotId, p: suffix, r: next, c: chunkSize }) } : {}),
    } satisfies RankingPage;
  }

  private async snapshotExists(snapshotId: string): Promise<boolean> {
    return (await this.tables.get(this.table, { pk: 'RUNS', sk: snapshotId })) !== undefined;
  }

  /** The scope's partition without the snapshot id; validates pais / ciudad. */
  private scopeSuffix(scope: RankingScope, pais: unknown, ciudad: unknown): string {
    if (scope === 'GLOBAL') return 'GLOBAL';
    const paisKey = this.placeKey(pais, 'pais', scope);
    if (scope === 'COUNTRY') return `COUNTRY#${paisKey}`;
    return `CITY#${paisKey}#${this.placeKey(ciudad, 'ciudad', scope)}`;
  }

  private placeKey(value: unknown, field: 'pais' | 'ciudad', scope: RankingScope): string {
    if (value !== undefined && value !== null && typeof value !== 'string') throw badRequest(`${field} must be a string`, { field });
    const key = normalizePlace(value);
    if (key === undefined) throw badRequest(`scope ${scope} requires ${field}`, { field });
    if ([...key].length > this.limits.placeMaxLength) throw badRequest(`${field} must be at most ${this.limits.placeMaxLength} characters`, { field });
    return placeKeyPart(key);
  }
}

function requireScope(scope: unknown): RankingScope {
  if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) {
    throw badRequest(`scope must be one of ${SCOPES.join(', ')}`, { field: 'scope' });
  }
  return scope as RankingScope;
}

/** Entry `index` of a chunk (layouts in snapshot-items.ts), or undefined past its end. */
function toEntry(chunk: Item, index: number, rank: number): RankingEntry | undefined {
  const e = rowsOf(chunk, 'entries')[index];
  if (!e) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const place = e.length > 4 ? rowsOf(chunk, 'places')[Number(e[4])] : undefined;
  return {
    rank,
    userId: String(e[0]),
    nickname: String(e[1]),
    puntos: Number(e[2]),
    nivel: Number(e[3]),
    ciudad: place ? str(place[0]) : str(chunk.ciudad),
    pais: place ? str(place[1]) : str(chunk.pais),
  };
}

/** Packed rows (JSON text in a string attribute). */
function unpack(value: unknown): unknown[][] {
  if (typeof value !== 'string') return [];
  const rows = JSON.parse(value) as unknown;
  return Array.isArray(rows) ? (rows as unknown[][]) : [];
}

// A page reads a chunk's rows up to 100 times: each attribute is parsed once per chunk read.
const parsed = new WeakMap<Item, Map<string, unknown[][]>>();
function rowsOf(chunk: Item, attribute: 'entries' | 'places'): unknown[][] {
  let cache = parsed.get(chunk);
  if (!cache) parsed.set(chunk, (cache = new Map()));
  let rows = cache.get(attribute);
  if (!rows) cache.set(attribute, (rows = unpack(chunk[attribute])));
  return rows;
}
