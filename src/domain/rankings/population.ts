/**
 * The ranking computation, in memory over a compact copy of the users (per user: id, nickname,
 * puntos and two small group numbers; about 150 bytes for a typical user), fed page by page from
 * the users table scan.
 *
 * Order (documented contract): puntos descending, then userId ascending (code-unit order, i.e.
 * byte order for the ASCII ids Cognito issues). Every user gets a distinct rank 1..n in each
 * ranking they belong to; the country and city rankings are the global order restricted to their
 * members. A user without a (non-blank) pais is ranked globally only; with a pais but no ciudad,
 * globally and in the country. puntos that are missing, negative or not finite count as 0.
 */
import type { Item } from '../../ports/tables.ts';
import { normalizePlace, placeKeyPart, spellingOf, SpellingTally } from './places.ts';

export interface PlaceGroup {
  /** Key segment(s): paisKey for a country; paisKey and ciudadKey for a city. */
  paisKey: string;
  ciudadKey?: string;
  /** Display values (the group's most common spelling; a city's pais is its country's display). */
  pais: string;
  ciudad?: string;
  /** Member user indexes in rank order (a view into one shared array). */
  members: Uint32Array;
}

export interface Ranked {
  size: number;
  userId(i: number): string;
  nickname(i: number): string;
  puntos(i: number): number;
  /** Global order: user indexes by rank. */
  order: Uint32Array;
  /** Per user index: rank in each ranking (0 = not ranked there). */
  globalRank: Uint32Array;
  countryRank: Uint32Array;
  cityRank: Uint32Array;
  /** Per user index: group number, -1 = none. */
  countryOf: Int32Array;
  cityOf: Int32Array;
  /** Indexed by group number (countryOf / cityOf). */
  countries: PlaceGroup[];
  cities: PlaceGroup[];
}

interface PlaceRef {
  /** Normalised and encoded for keys (no '#'). */
  key: string;
  spelling: string;
}

export class Population {
  private ids: string[] = [];
  // True while ids arrive in strictly ascending order (the SQLite scan's key order): ties can then
  // be broken by arrival index instead of comparing strings.
  private ascending = true;
  private nicks: string[] = [];
  private points: number[] = [];
  private country: number[] = [];
  private city: number[] = [];
  private readonly countryIds = new Map<string, number>();
  private readonly countryKeys: string[] = [];
  private readonly cityIds = new Map<string, number>();
  private readonly cityKeys: [string, string][] = [];
  private readonly countrySpelling = new SpellingTally();
  private readonly citySpelling = new SpellingTally();
  // Raw value -> normalised form: real populations repeat a few thousand spellings.
  private readonly places = new Map<string, PlaceRef | null>();

  get size(): number {
    return this.ids.length;
  }

  /** Adds one users-table item; items without a string userId are ignored. Returns whether added. */
  add(item: Item): boolean {
    const userId = item.userId;
    if (typeof userId !== 'string' || userId === '') return false;
    const p = item.puntos;
    const n = this.ids.length;
    if (this.ascending && n > 0 && !(this.ids[n - 1] < userId)) this.ascending = false;
    this.ids.push(userId);
    this.nicks.push(typeof item.nickname === 'string' ? item.nickname : '');
    this.points.push(typeof p === 'number' && Number.isFinite(p) && p > 0 ? p : 0);
    const pais = this.place(item.pais);
    const ciudad = pais && this.place(item.ciudad);
    let countryId = -1;
    let cityId = -1;
    if (pais) {
      countryId = this.countryIds.get(pais.key) ?? this.newGroup(this.countryIds, pais.key, () => this.countryKeys.push(pais.key));
      this.countrySpelling.add(countryId, pais.spelling);
      if (ciudad) {
        const key = `${pais.key}#${ciudad.key}`;
        cityId = this.cityIds.get(key) ?? this.newGroup(this.cityIds, key, () => this.cityKeys.push([pais.key, ciudad.key]));
        this.citySpelling.add(cityId, ciudad.spelling);
      }
    }
    this.country.push(countryId);
    this.city.push(cityId);
    return true;
  }

  /** Sorts and groups; the population should not be added to afterwards. */
  rank(): Ranked {
    const n = this.ids.length;
    const ids = this.ids;
    const points = Float64Array.from(this.points);
    this.points = [];
    const countryOf = Int32Array.from(this.country);
    const cityOf = Int32Array.from(this.city);
    this.country = [];
    this.city = [];

    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.ascending) order.sort((a, b) => points[b] - points[a] || a - b);
    else order.sort((a, b) => points[b] - points[a] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
    const globalRank = new Uint32Array(n);
    for (let r = 0; r < n; r++) globalRank[order[r]] = r + 1;

    const countries = this.groups(this.countryKeys.length, countryOf, order);
    const cities = this.groups(this.cityKeys.length, cityOf, order);
    const countryDisplay = this.countryKeys.map((_, g) => this.countrySpelling.display(g));

    const countryGroups: PlaceGroup[] = this.countryKeys.map((key, g) => ({
      paisKey: key,
      pais: countryDisplay[g],
      members: countries.members(g),
    }));
    const cityGroups: PlaceGroup[] = this.cityKeys.map(([paisKey, ciudadKey], g) => ({
      paisKey,
      ciudadKey,
      pais: countryDisplay[this.countryIds.get(paisKey)!],
      ciudad: this.citySpelling.display(g),
      members: cities.members(g),
    }));

    return {
      size: n,
      userId: (i) => ids[i],
      nickname: (i) => this.nicks[i],
      puntos: (i) => points[i],
      order,
      globalRank,
      countryRank: countries.rank,
      cityRank: cities.rank,
      countryOf,
      cityOf,
      countries: countryGroups,
      cities: cityGroups,
    };
  }

  private place(value: unknown): PlaceRef | undefined {
    if (typeof value !== 'string') return undefined;
    let ref = this.places.get(value);
    if (ref === undefined) {
      const key = normalizePlace(value);
      ref = key === undefined ? null : { key: placeKeyPart(key), spelling: spellingOf(value) };
      this.places.set(value, ref);
    }
    return ref ?? undefined;
  }

  private newGroup(ids: Map<string, number>, key: string, register: () => void): number {
    const id = ids.size;
    ids.set(key, id);
    register();
    return id;
  }

  /** Stable bucketing of the global order by group: each group's members stay in rank order. */
  private groups(count: number, groupOf: Int32Array, order: Uint32Array) {
    const start = new Uint32Array(count + 1);
    for (let i = 0; i < groupOf.length; i++) if (groupOf[i] >= 0) start[groupOf[i] + 1]++;
    for (let g = 0; g < count; g++) start[g + 1] += start[g];
    const fill = start.slice(0, count);
    const all = new Uint32Array(start[count]);
    const rank = new Uint32Array(groupOf.length);
    for (let r = 0; r < order.length; r++) {
      const u = order[r];
      const g = groupOf[u];
      if (g < 0) continue;
      const at = fill[g]++;
      all[at] = u;
      rank[u] = at - start[g] + 1;
    }
    return { rank, members: (g: number) => all.subarray(start[g], start[g + 1]) };
  }
}
