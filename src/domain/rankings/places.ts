/**
 * City and country values as people type them ("Bogotá", "bogota ", "BOGOTA") grouped as one place.
 *
 * - Grouping key: lower-cased, decomposed (NFD) with every combining mark removed (accents,
 *   diaeresis, cedilla), trimmed, inner whitespace collapsed to one space. Blank -> no place.
 * - Display value of a group: the most common spelling among its members (trimmed, inner
 *   whitespace collapsed, case and accents kept); a tie goes to the smallest spelling in
 *   code-unit order, so the choice is deterministic.
 */

/** The grouping form of a place, or undefined when blank / not a string. */
export function normalizePlace(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const key = value
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .trim()
    .replace(/\s+/gu, ' ');
  return key === '' ? undefined : key;
}

/** The spelling a member contributes to its group's display value. */
export const spellingOf = (value: string): string => value.trim().replace(/\s+/gu, ' ');

/** A normalised place as a key segment: '%' and '#' (the key separator) are percent-encoded. */
export const placeKeyPart = (normalized: string): string => normalized.replace(/[%#]/g, (c) => (c === '%' ? '%25' : '%23'));

/** Counts spellings per group and picks each group's display value. */
export class SpellingTally {
  private readonly counts: Map<string, number>[] = [];

  add(group: number, spelling: string): void {
    const counts = (this.counts[group] ??= new Map());
    counts.set(spelling, (counts.get(spelling) ?? 0) + 1);
  }

  display(group: number): string {
    let best = '';
    let bestCount = 0;
    for (const [spelling, count] of this.counts[group] ?? []) {
      if (count > bestCount || (count === bestCount && spelling < best)) {
        best = spelling;
        bestCount = count;
      }
    }
    return best;
  }
}
