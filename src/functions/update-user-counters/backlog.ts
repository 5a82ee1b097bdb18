/**
 * What UpdateUserCounters has not applied yet: the change-log records of the social table after
 * its checkpoints, as net counter deltas (minus the parts of a half-applied batch already
 * committed). Feeds the recount so that in-flight follows are not mistaken for drift.
 */
import type { BacklogSnapshot, CounterBacklog, CounterDelta } from '../../domain/social/recount.ts';
import { parseEdge } from '../../domain/social/keys.ts';
import type { TableNames } from '../../domain/tables.ts';
import type { ChangeRecord, Tables } from '../../ports/tables.ts';
import { readLedger, sameLedger, type LedgerState } from '../batch-ledger.ts';
import { checkpointKey } from '../stream-consumer.ts';
import { compareSequence, toStreamEvent } from '../stream-event.ts';
import { UPDATE_USER_COUNTERS } from './handler.ts';
import { aggregateCounterDeltas, chunkUsers } from './plan.ts';

interface ShardPosition {
  checkpoint: LedgerState & { ended?: boolean };
  /** Last record seen in the shard. */
  tail?: string;
}
type Position = Map<string, ShardPosition>;

const PAGE = 1000;
const after = (seq: string, bound: string | undefined) => bound === undefined || compareSequence(seq, bound) > 0;

export function counterBacklog(deps: { tables: Tables; tableNames: Pick<TableNames, 'social' | 'system'> }): CounterBacklog {
  const { tables, tableNames } = deps;
  const table = tableNames.social;

  async function readAfter(shardId: string, from: string | undefined): Promise<ChangeRecord[]> {
    const out: ChangeRecord[] = [];
    for (let cursor = from; ; ) {
      const page = await tables.changes.read({ table, shardId, after: cursor, limit: PAGE });
      out.push(...page.records);
      if (page.records.length < PAGE) return out;
      cursor = page.records[page.records.length - 1].sequenceNumber;
    }
  }

  return {
    async snapshot(since?: BacklogSnapshot): Promise<BacklogSnapshot> {
      const previous = since?.position as Position | undefined;
      const position: Position = new Map();
      const pending = new Map<string, CounterDelta>();
      let changed: Set<string> | 'all' | undefined = previous ? new Set() : undefined;
      for (const shard of await tables.changes.listShards(table)) {
        const item = await tables.get(tableNames.system, checkpointKey(UPDATE_USER_COUNTERS, shard.shardId), { consistent: true });
        const checkpoint = { ...readLedger(item), ended: item?.ended === true };
        const was = previous?.get(shard.shardId);
        if (previous && !was) changed = 'all';
        // Read from the older checkpoint, so records applied in between are seen too.
        const from = was && after(checkpoint.sequenceNumber ?? '0', was.checkpoint.sequenceNumber)
          ? was.checkpoint.sequenceNumber
          : checkpoint.sequenceNumber;
        const records = checkpoint.ended && !was ? [] : await readAfter(shard.shardId, from);
        position.set(shard.shardId, { checkpoint, tail: records.at(-1)?.sequenceNumber ?? was?.tail });

        const unapplied = records.filter((r) => after(r.sequenceNumber, checkpoint.sequenceNumber));
        addAll(pending, aggregateCounterDeltas(toStreamEvent(unapplied, { table, shardId: shard.shardId }).Records));
        if (checkpoint.pendingEnd !== undefined) {
          const end = checkpoint.pendingEnd;
          const batch = unapplied.filter((r) => !after(r.sequenceNumber, end));
          const deltas = aggregateCounterDeltas(toStreamEvent(batch, { table, shardId: shard.shardId }).Records);
          for (const userId of chunkUsers(deltas).slice(0, checkpoint.partsDone ?? 0).flat()) {
            addAll(pending, new Map([[userId, negate(deltas.get(userId)!)]]));
          }
        }

        if (changed instanceof Set && was) {
          const moved = !sameLedger(was.checkpoint, checkpoint);
          for (const r of records) {
            if (moved || after(r.sequenceNumber, was.tail)) for (const id of touched(r)) changed.add(id);
          }
        }
      }
      for (const [id, d] of pending) if (d.seguidores === 0 && d.siguiendo === 0) pending.delete(id);
      return { pending, changed, position };
    },
  };
}

function touched(record: ChangeRecord): string[] {
  const edge = parseEdge(record.keys);
  return edge ? [edge.followerId, edge.followedId] : [];
}

const negate = (d: CounterDelta): CounterDelta => ({ seguidores: -d.seguidores, siguiendo: -d.siguiendo });

function addAll(into: Map<string, CounterDelta>, deltas: Map<string, CounterDelta>) {
  for (const [id, d] of deltas) {
    const cur = into.get(id) ?? { seguidores: 0, siguiendo: 0 };
    into.set(id, { seguidores: cur.seguidores + d.seguidores, siguiendo: cur.siguiendo + d.siguiendo });
  }
}
