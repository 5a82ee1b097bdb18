/**
 * The items of one snapshot, generated lazily from a ranking (key formats in keys.ts).
 *
 * Ranking chunk, rank = chunk * CHUNK_SIZE + position + 1; `entries` rows by scope:
 * - GLOBAL, COUNTRY  [userId, nickname, puntos, nivel, place], place = index into the item's
 *   `places`: [ciudad, pais] pairs (a chunk's users share few places);
 * - CITY             [userId, nickname, puntos, nivel], with `pais` and `ciudad` on the item.
 * COUNTRY and CITY items also carry `pais` (and `ciudad`) of the ranked place. Places are the
 * group display values (null when the user has none); nivel is derived from puntos by the level
 * table at snapshot time.
 * Rank lookup bucket, `users` rows: [userId, globalRank, countryRank, cityRank] (0 = not ranked
 * there). The user's country and city are those of their GLOBAL entry.
 *
 * `entries`, `places` and `users` are packed as JSON text in one string attribute each: a
 * snapshot is millions of small values, and a few strings per item is what keeps writing it cheap
 * on both stores (no per-value validation or type descriptors).
 */
import type { Item } from '../../ports/tables.ts';
import { levelFor, type LevelThresholds } from '../points/levels.ts';
import { bucketOf, CHUNK_SIZE, chunkKey, scopePartition, sortKey, usersPartition } from './keys.ts';
import type { Ranked } from './population.ts';

export function* snapshotItems(ranked: Ranked, snapshotId: string, levels: LevelThresholds, buckets: number): Generator<Item> {
  const { countries, cities, countryOf, cityOf, userId, nickname, puntos } = ranked;
  // One number per distinct place: the city group, else -2 - the country group, else -1.
  const placeOf = (u: number) => (cityOf[u] >= 0 ? cityOf[u] : countryOf[u] >= 0 ? -2 - countryOf[u] : -1);
  const placePair = (p: number): [string | null, string | null] =>
    p >= 0 ? [cities[p].ciudad!, cities[p].pais] : p === -1 ? [null, null] : [null, countries[-2 - p].pais];

  function* chunks(members: Uint32Array, partition: string, extra: Item, withPlace: boolean): Generator<Item> {
    const total = members.length;
    for (let c = 0; c * CHUNK_SIZE < total; c++) {
      const rows: unknown[] = [];
      const index = new Map<number, number>();
      for (let i = c * CHUNK_SIZE; i < Math.min(total, (c + 1) * CHUNK_SIZE); i++) {
        const u = members[i];
        const p = puntos(u);
        if (!withPlace) {
          rows.push([userId(u), nickname(u), p, levelFor(p, levels)]);
          continue;
        }
        const place = placeOf(u);
        let at = index.get(place);
        if (at === undefined) index.set(place, (at = index.size));
        rows.push([userId(u), nickname(u), p, levelFor(p, levels), at]);
      }
      const item: Item = { ...chunkKey(partition, c), total, ...extra, entries: JSON.stringify(rows) };
      if (withPlace) item.places = JSON.stringify(Array.from(index.keys(), placePair));
      yield item;
    }
  }

  yield* chunks(ranked.order, scopePartition(snapshotId, 'GLOBAL'), {}, true);
  for (const g of countries) {
    yield* chunks(g.members, scopePartition(snapshotId, 'COUNTRY', g.paisKey), { pais: g.pais }, true);
  }
  for (const g of cities) {
    yield* chunks(g.members, scopePartition(snapshotId, 'CITY', g.paisKey, g.ciudadKey), { pais: g.pais, ciudad: g.ciudad! }, false);
  }
  yield* lookups(ranked, snapshotId, buckets);
}

/** Rank lookups for myRank: users bucketed by a hash of their id (counting sort). */
function* lookups(ranked: Ranked, snapshotId: string, buckets: number): Generator<Item> {
  const bucketOfUser = new Uint32Array(ranked.size);
  const start = new Uint32Array(buckets + 1);
  for (let u = 0; u < ranked.size; u++) {
    const b = bucketOf(ranked.userId(u), buckets);
    bucketOfUser[u] = b;
    start[b + 1]++;
  }
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const fill = start.slice(0, buckets);
  const byBucket = new Uint32Array(ranked.size);
  for (let u = 0; u < ranked.size; u++) byBucket[fill[bucketOfUser[u]]++] = u;
  const partition = usersPartition(snapshotId);
  for (let b = 0; b < buckets; b++) {
    const rows: unknown[] = [];
    for (let i = start[b]; i < start[b + 1]; i++) {
      const u = byBucket[i];
      rows.push([ranked.userId(u), ranked.globalRank[u], ranked.countryRank[u], ranked.cityRank[u]]);
    }
    yield { pk: partition, sk: sortKey(b), users: JSON.stringify(rows) };
  }
}
