/**
 * Exactly-once effect for stream functions: a batch's writes and the advance of a ledger item
 * commit in the SAME transaction, conditioned on the ledger still being where it was read.
 *
 * A batch's effect may need more than one transaction (100 operations each), so it is planned as
 * ordered parts. Ledger item attributes:
 * - `sequenceNumber`: last record whose effect is fully applied (absent: none yet);
 * - `pendingEnd` / `partsDone`: a batch ending at `pendingEnd` is half applied, its first
 *   `partsDone` parts are committed. A restart re-reads exactly the records up to `pendingEnd`,
 *   re-plans them (planning must split a batch into the same parts every time) and resumes.
 * Part i's ledger update requires (sequenceNumber, pendingEnd, partsDone) to be the state that
 * preceded it, so a replayed batch, a second consumer or a retry after an ambiguous commit
 * can never apply a part twice: its transaction is cancelled as a whole. A caller may add guard
 * checks to every part's transaction (the stream consumer: "I still hold this shard's lease"),
 * so a consumer that lost its claim stops even before anyone else moved the ledger.
 */
import {
  TransactionCanceledError,
  type AttributeValue,
  type Condition,
  type Item,
  type Key,
  type Tables,
  type TransactOperation,
} from '../ports/tables.ts';

export interface LedgerRef {
  table: string;
  key: Key;
}

export interface LedgerState {
  sequenceNumber?: string;
  pendingEnd?: string;
  partsDone?: number;
}

export const readLedger = (item: Item | undefined): LedgerState => ({
  sequenceNumber: typeof item?.sequenceNumber === 'string' ? item.sequenceNumber : undefined,
  pendingEnd: typeof item?.pendingEnd === 'string' ? item.pendingEnd : undefined,
  partsDone: typeof item?.partsDone === 'number' ? item.partsDone : undefined,
});

/** DynamoDB's (and the port's) limit of operations per transaction. */
export const MAX_TRANSACTION_OPERATIONS = 100;

/** "The ledger is exactly at `state`, no batch half applied": the condition of the first part's advance. */
export function atLedger(state: LedgerState): Condition {
  const position: Condition =
    state.sequenceNumber === undefined
      ? { notExists: 'sequenceNumber' }
      : { attr: 'sequenceNumber', op: '=', value: state.sequenceNumber };
  return { and: [position, { notExists: 'pendingEnd' }] };
}

export const sameLedger = (a: LedgerState, b: LedgerState) =>
  a.sequenceNumber === b.sequenceNumber && a.pendingEnd === b.pendingEnd && (a.partsDone ?? 0) === (b.partsDone ?? 0);

/** Test hook: throwing here "kills" the process at that point (before or just after a commit). */
export type FaultInjector = (point: {
  phase: 'beforeCommit' | 'afterCommit';
  ledger: LedgerRef;
  part: number;
  parts: number;
  end: string;
}) => void | Promise<void>;

export interface ApplyBatchOptions {
  tables: Tables;
  ledger: LedgerRef;
  /** The ledger as read (consistently) before the batch's records were chosen. */
  state: LedgerState;
  /** Sequence number of the batch's last record (must equal state.pendingEnd when that is set). */
  end: string;
  /** Plans the batch's writes; deterministic split into parts (a part + guard + ledger advance <= 100 operations). */
  plan: () => Promise<TransactOperation[][]>;
  /** Extra attributes set on the ledger at every advance (e.g. a TTL). */
  ledgerAttributes?: Record<string, AttributeValue>;
  faultInjector?: FaultInjector;
  /** Re-plans allowed after a write condition failed (a counter changed meanwhile). */
  maxReplans?: number;
  /** Condition checks committed with every part; one failing ends the call with 'fenced'. */
  guard?: TransactOperation[];
}

/**
 * 'applied': every remaining part committed. 'superseded': the ledger moved (someone else
 * applied this batch). 'fenced': a guard check failed (the caller lost its claim). In both
 * latter cases nothing was written by this call after that point.
 */
export type BatchOutcome = 'applied' | 'superseded' | 'fenced';

export async function applyBatch(options: ApplyBatchOptions): Promise<BatchOutcome> {
  const { tables, ledger, end } = options;
  let state = { ...options.state };
  if (state.pendingEnd !== undefined && state.pendingEnd !== end) {
    throw new Error(`Batch end ${end} differs from the pending batch end ${state.pendingEnd}`);
  }
  const maxReplans = options.maxReplans ?? 20;
  const guard = options.guard ?? [];
  for (let replans = 0; ; replans++) {
    const planned = await options.plan();
    const parts = planned.length === 0 ? [[]] : planned;
    const from = state.partsDone ?? 0;
    if (from >= parts.length) throw new Error(`Ledger says ${from} parts done but the batch has ${parts.length}`);
    let retry = false;
    for (let part = from; part < parts.length; part++) {
      const last = part === parts.length - 1;
      const writes = parts[part].length;
      const operations = [...parts[part], ...guard, ledgerAdvance(ledger, state, end, part, last, options.ledgerAttributes)];
      if (operations.length > MAX_TRANSACTION_OPERATIONS) {
        throw new Error(`Part ${part} of the batch ending at ${end} needs ${operations.length} operations (max ${MAX_TRANSACTION_OPERATIONS})`);
      }
      const point = { ledger, part, parts: parts.length, end };
      await options.faultInjector?.({ ...point, phase: 'beforeCommit' });
      try {
        await tables.transactWrite(operations);
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        const failed = (i: number) => err.reasons[i] === 'ConditionalCheckFailed';
        if (guard.some((_, i) => failed(writes + i))) return 'fenced';
        if (failed(operations.length - 1)) return 'superseded';
        if (replans >= maxReplans) throw err;
        retry = true; // A write condition failed (counter changed, user deleted): re-plan from here.
        break;
      }
      state = last ? { sequenceNumber: end } : { sequenceNumber: state.sequenceNumber, pendingEnd: end, partsDone: part + 1 };
      await options.faultInjector?.({ ...point, phase: 'afterCommit' });
    }
    if (!retry) return 'applied';
  }
}

function ledgerAdvance(
  ref: LedgerRef,
  state: LedgerState,
  end: string,
  part: number,
  last: boolean,
  extra: Record<string, AttributeValue> = {},
): TransactOperation {
  const condition: Condition =
    part === 0
      ? atLedger(state)
      : {
          and: [
            state.sequenceNumber === undefined
              ? { notExists: 'sequenceNumber' }
              : { attr: 'sequenceNumber', op: '=', value: state.sequenceNumber },
            { attr: 'pendingEnd', op: '=', value: end },
            { attr: 'partsDone', op: '=', value: part },
          ],
        };
  return {
    update: {
      table: ref.table,
      key: ref.key,
      set: last ? { ...extra, sequenceNumber: end } : { ...extra, pendingEnd: end, partsDone: part + 1 },
      ...(last ? { remove: ['pendingEnd', 'partsDone'] } : {}),
      condition,
    },
  };
}
