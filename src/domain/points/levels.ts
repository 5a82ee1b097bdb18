/**
 * Levels: nivel is a pure function of puntos and the configured threshold table (config
 * `points.levels`, validated there: starts at 0, strictly increasing). With [0, 100, 500]:
 * 0..99 -> 1, 100..499 -> 2, 500 and more -> 3.
 */
export type LevelThresholds = readonly number[];

export function levelFor(puntos: number, thresholds: LevelThresholds): number {
  if (!(puntos > 0)) return 1;
  // The last threshold <= puntos, by binary search (the table may be long).
  let lo = 0;
  let hi = thresholds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (thresholds[mid] <= puntos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
