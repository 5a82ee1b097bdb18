/**
 * AppSync's basic subscription filtering: each argument the subscriber passed must equal the
 * same-named top-level field of the published payload; an omitted argument is no filter, an
 * explicit null matches only null, and a payload lacking the field matches nothing (the field must
 * be in the mutation's selection set). Subscribers are indexed by the argument names they use, then
 * by their values, so an event costs one map lookup per distinct set of argument names, whatever the
 * number of subscribers.
 */
export interface Filter {
  /** Argument names, sorted; `signature` is their join. */
  names: readonly string[];
  signature: string;
  /** Encoded values, in `names` order. */
  key: string;
}

const encode = (value: unknown) => JSON.stringify(value);

export function filterOf(args: Record<string, unknown>): Filter {
  const names = Object.keys(args)
    .filter((k) => args[k] !== undefined)
    .sort();
  const key = names.length === 1 ? encode(args[names[0]]) : encode(names.map((n) => args[n]));
  return { names, signature: names.join('\u0000'), key };
}

/** The payload's key for these names, or undefined when a field is absent (no subscriber can match). */
function keyOf(payload: Record<string, unknown>, names: readonly string[]): string | undefined {
  if (names.length === 1) {
    const v = payload[names[0]];
    return v === undefined ? undefined : encode(v);
  }
  const values = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const v = payload[names[i]];
    if (v === undefined) return undefined;
    values[i] = v;
  }
  return encode(values);
}

interface Group<T> {
  names: readonly string[];
  signature: string;
  /** Subscribers without arguments live under the empty key of the empty signature. */
  byKey: Map<string, Set<T>>;
  size: number;
}

export class FilterIndex<T> {
  private readonly groups: Group<T>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(filter: Filter, item: T): void {
    let group = this.groups.find((g) => g.signature === filter.signature);
    if (!group) {
      group = { names: filter.names, signature: filter.signature, byKey: new Map(), size: 0 };
      this.groups.push(group);
    }
    const key = filter.names.length === 0 ? '' : filter.key;
    let set = group.byKey.get(key);
    if (!set) group.byKey.set(key, (set = new Set()));
    if (set.has(item)) return;
    set.add(item);
    group.size++;
    this.count++;
  }

  remove(filter: Filter, item: T): void {
    const index = this.groups.findIndex((g) => g.signature === filter.signature);
    if (index === -1) return;
    const group = this.groups[index];
    const key = filter.names.length === 0 ? '' : filter.key;
    const set = group.byKey.get(key);
    if (!set?.delete(item)) return;
    if (set.size === 0) group.byKey.delete(key);
    group.size--;
    this.count--;
    if (group.size === 0) this.groups.splice(index, 1);
  }

  /** Calls `fn` for every subscriber whose filter the payload satisfies. */
  forEachMatch(payload: Record<string, unknown>, fn: (item: T) => void): void {
    for (let i = 0; i < this.groups.length; i++) {
      const group = this.groups[i];
      const key = group.names.length === 0 ? '' : keyOf(payload, group.names);
      if (key === undefined) continue;
      const set = group.byKey.get(key);
      if (set) for (const item of set) fn(item);
    }
  }
}
