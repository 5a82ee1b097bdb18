import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Condition, type Item, type Tables } from '../../ports/tables.ts';

/**
 * Cognito's lockout for failed password checks (shared/spec/cognito.md §4): from the
 * `threshold`-th counted failure on, the account is locked 2^(n-threshold) s, capped at
 * `maxSeconds`. Attempts during a lock are refused without counting and do not lengthen it. The
 * counter resets after a success once unlocked, or after `idleResetMs` without failures.
 *
 * Counters are kept per lower-cased username whether or not the user exists, so a lock cannot
 * tell an attacker which usernames are real.
 */
export interface LockoutPolicy {
  threshold: number;
  maxSeconds: number;
  idleResetMs: number;
}

export interface LockState {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

/** Lock length after `failures` counted failures (0 below the threshold). */
export function lockSeconds(failures: number, policy: LockoutPolicy): number {
  if (failures < policy.threshold) return 0;
  const exponent = failures - policy.threshold;
  return exponent >= 31 ? policy.maxSeconds : Math.min(2 ** exponent, policy.maxSeconds);
}

const key = (usernameKey: string) => ({ pk: `LOCK#${usernameKey}`, sk: 'LOCK' });

export class Lockout {
  constructor(
    private readonly deps: { tables: Tables; table: string; clock: Clock; policy: LockoutPolicy },
  ) {}

  /** The live state; undefined when there is nothing to count (never failed, or idle long enough). */
  async state(usernameKey: string): Promise<LockState | undefined> {
    const item = await this.deps.tables.get(this.deps.table, key(usernameKey), { consistent: true });
    return this.live(item);
  }

  isLocked(state: LockState | undefined): boolean {
    return state !== undefined && state.lockedUntil > this.deps.clock.now();
  }

  /**
   * Counts one failure (call only when not locked). Parallel failures all count: a stale or missing
   * counter is restarted only under a condition that it still is, otherwise an atomic ADD.
   */
  async recordFailure(usernameKey: string): Promise<void> {
    const { tables, table, clock, policy } = this.deps;
    const now = clock.now();
    const k = key(usernameKey);
    // `ttl` (epoch s) lets a DynamoDB TTL sweep counters nobody will look at again.
    const ttl = Math.ceil((now + policy.idleResetMs) / 1000) + policy.maxSeconds;
    const stale: Condition = {
      or: [
        { notExists: 'pk' },
        {
          and: [
            { attr: 'lastFailureAt', op: '<=', value: now - policy.idleResetMs },
            { attr: 'lockedUntil', op: '<=', value: now },
          ],
        },
      ],
    };
    let after: Item;
    try {
      after = await tables.update({ table, key: k, set: { failures: 1, lastFailureAt: now, lockedUntil: 0, ttl }, condition: stale });
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
      after = await tables.update({ table, key: k, add: { failures: 1 }, set: { lastFailureAt: now, ttl } });
    }
    const seconds = lockSeconds(Number(after.failures), policy);
    if (seconds === 0) return;
    const until = now + seconds * 1000;
    // Never shorten a longer lock set by a later failure that wrote first.
    await tables
      .update({ table, key: k, set: { lockedUntil: until }, condition: { or: [{ notExists: 'lockedUntil' }, { attr: 'lockedUntil', op: '<', value: until }] } })
      .catch((err: unknown) => {
        if (!(err instanceof ConditionalCheckFailedError)) throw err;
      });
  }

  /** Clears the counter after a successful check (only reached when not locked). */
  async reset(usernameKey: string, state: LockState | undefined): Promise<void> {
    if (!state) return; // nothing live to clear; a stale item is restarted by the next failure
    // Only the counter we saw: failures recorded meanwhile (a parallel attack) are kept.
    await this.deps.tables
      .delete({ table: this.deps.table, key: key(usernameKey), condition: { attr: 'failures', op: '=', value: state.failures } })
      .catch((err: unknown) => {
        if (!(err instanceof ConditionalCheckFailedError)) throw err;
      });
  }

  private live(item: Item | undefined): LockState | undefined {
    if (!item) return undefined;
    const s: LockState = {
      failures: Number(item.failures ?? 0),
      lastFailureAt: Number(item.lastFailureAt ?? 0),
      lockedUntil: Number(item.lockedUntil ?? 0),
    };
    const now = this.deps.clock.now();
    if (s.lockedUntil <= now && now - s.lastFailureAt >= this.deps.policy.idleResetMs) return undefined;
    return s;
  }
}
