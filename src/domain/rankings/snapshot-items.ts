/**
 * The items of one snapshot, generated lazily from a ranking (key formats in keys.ts).
 *
 * Ranking chunk, rank = chunk * CHUNK_SIZE + position + 1; `entries` rows by scope:
 * - GLOBAL  [userId, nickname, puntos, nivel, ciudad, pais]
 * - COUNTRY [userId, nickname, puntos, nivel, ciudad]  (+ `pais` on the item)
 * - CITY    [userId, nickname, puntos, nivel]          (+ `pais`, `ciudad` on the item)
 * ciudad / pais are the group display values (null when the user has none); nivel is derived from
 * puntos by the level table at snapshot time.
 * Rank lookup bucket, `users` rows: [userId, globalRank, paisKey, countryRank, ciudadKey, cityRank]
 * (keys null and ranks 0 where the user is not ranked).
 *
 * Rows are packed as JSON text in one string attribute: a snapshot is millions of small values,
 * and one string per item is what keeps writing it cheap on both stores (no per-value validation
 * or type descriptors).
 */
import type { Item } from '../../ports/tables.ts';
import { levelFor, type LevelThresholds } from '../points/levels.ts';
import { bucketOf, CHUNK_SIZE, chunkKey, scopePartition, sortKey, usersPartition } from './keys.ts';
import type { Ranked } from './population.ts';

export function* snapshotItems(ranked: Ranked, snapshotId: string, levels: LevelThresholds, buckets: number): Generator<Item> {
  const { countries, cities, countryOf, cityOf, userId, nickname, puntos } = ranked;
  const ciudadOf = (u: number) => (cityOf[u] >= 0 ? cities[cityOf[u]].ciudad! : null);
  const paisOf = (u: number) => (countryOf[u] >= 0 ? countries[countryOf[u]].pais : null);
  const nivelOf = (u: number) => levelFor(puntos(u), levels);

  function* chunks(members: Uint32Array, partition: string, extra: Item, row: (u: number) => unknown[]): Generator<Item> {
    const total = members.length;
    for (let c = 0; c * CHUNK_SIZE < total; c++) {
      const rows = [];
      for (let i = c * CHUNK_SIZE; i < Math.min(total, (c + 1) * CHUNK_SIZE); i++) rows.push(row(members[i]));
      yield { ...chunkKey(partition, c), total, ...extra, entries: JSON.stringify(rows) };
    }
  }

  yield* chunks(ranked.order, scopePartition(snapshotId, 'GLOBAL'), {}, (u) => [userId(u), nickname(u), puntos(u), nivelOf(u), ciudadOf(u), paisOf(u)]);
  for (const g of countries) {
    const partition = scopePartition(snapshotId, 'COUNTRY', g.paisKey);
    yield* chunks(g.members, partition, { pais: g.pais }, (u) => [userId(u), nickname(u), puntos(u), nivelOf(u), ciudadOf(u)]);
  }
  for (const g of cities) {
    const partition = scopePartition(snapshotId, 'CITY', g.paisKey, g.ciudadKey);
    yield* chunks(g.members, partition, { pais: g.pais, ciudad: g.ciudad! }, (u) => [userId(u), nickname(u), puntos(u), nivelOf(u)]);
  }
  yield* lookups(ranked, snapshotId, buckets);
}

/** Rank lookups for myRank: users bucketed by a hash of their id (counting sort). */
function* lookups(ranked: Ranked, snapshotId: string, buckets: number): Generator<Item> {
  const { countries, cities, countryOf, cityOf } = ranked;
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
    const users = Array.from(byBucket.subarray(start[b], start[b + 1]), (u) => [
      ranked.userId(u),
      ranked.globalRank[u],
      countryOf[u] >= 0 ? countries[countryOf[u]].paisKey : null,
      ranked.countryRank[u],
      cityOf[u] >= 0 ? cities[cityOf[u]].ciudadKey! : null,
      ranked.cityRank[u],
    ]);
    yield { pk: partition, sk: sortKey(b), users: JSON.stringify(users) };
  }
}
