import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import { TransactionCanceledError, type Condition, type Item, type Tables } from '../../ports/tables.ts';
import { AppError, ErrorCode, badRequest, conflict, notFound, unauthorized } from '../errors.ts';
import { requireUserId } from '../social/keys.ts';
import type { TableNames } from '../tables.ts';
import { levelFor } from './levels.ts';

/** The user-pool group whose members may award points (Cognito AdminAddUserToGroup). */
export const ADMIN_GROUP = 'admin';

/** Who is calling: a verified Principal fits, and so does the CLI's `{ groups: ['admin'] }`. */
export interface PointsCaller {
  sub?: string;
  username?: string;
  groups: readonly string[];
}

export interface AwardInput {
  userId: string;
  /** A positive integer, at most `points.maxAward`. */
  amount: number;
  /** Why (1..200 characters), kept in the ledger. */
  reason: string;
  /** 1..128 characters; a retry with the same key returns the first result and counts once. */
  idempotencyKey: string;
}

export interface AwardResult {
  idempotencyKey: string;
  userId: string;
  amount: number;
  reason: string;
  /** The user's puntos and nivel right after this award (as recorded in the ledger). */
  puntos: number;
  nivel: number;
  awardedAt: string;
  /** True when the key had already been used for this award: nothing was added this time. */
  replayed: boolean;
}

export interface PointsServiceDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'points'>;
  clock: Clock;
  points: Config['points'];
}

const REASON_MAX = 200;
const KEY_MAX = 128;
// Under contention each loser re-reads and retries; 50 concurrent awards to one user need at most
// 50 rounds. Past a few immediate retries, a short random pause spreads the contenders out.
const MAX_ATTEMPTS = 200;
const IMMEDIATE_RETRIES = 3;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Points and levels. Invariants (tested):
 * - only callers in the `admin` group award (else Unauthorized), to an existing profile (NotFound);
 * - amounts are positive integers up to `points.maxAward`: negative amounts are refused
 *   (BadRequest), so puntos never go negative and never go down;
 * - puntos never exceed `points.maxPuntos` (GraphQL's Int is 32-bit): an award past it is refused;
 * - an award is ONE transaction: the ledger item (condition: key unused) and the user's puntos and
 *   nivel (condition: puntos still the value read, optimistic concurrency); nivel is derived from
 *   the new puntos by the threshold table, in the same write. A lost race re-reads and retries,
 *   so concurrent awards all count;
 * - the same idempotency key again: the recorded result (`replayed: true`) if it names the same
 *   user, amount and reason, else Conflict; nothing is added either way.
 */
export class PointsService {
  private readonly tables: Tables;
  private readonly usersTable: string;
  private readonly ledgerTable: string;
  private readonly clock: Clock;
  private readonly config: Config['points'];

  constructor(deps: PointsServiceDeps) {
    this.tables = deps.tables;
    this.usersTable = deps.tableNames.users;
    this.ledgerTable = deps.tableNames.points;
    this.clock = deps.clock;
    this.config = deps.points;
  }

  /** The level for a number of points, by the configured thresholds. */
  levelFor(puntos: number): number {
    return levelFor(puntos, this.config.levels);
  }

  async award(caller: PointsCaller, input: AwardInput): Promise<AwardResult> {
    if (!caller || !Array.isArray(caller.groups) || !caller.groups.includes(ADMIN_GROUP)) throw unauthorized();
    const award = this.validate(input);
    const ledgerKey = { idempotencyKey: award.idempotencyKey };

    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt >= IMMEDIATE_RETRIES) await pause(attempt);
      const recorded = await this.tables.get(this.ledgerTable, ledgerKey, { consistent: true });
      if (recorded) return replay(recorded, award);
      const user = await this.tables.get(this.usersTable, { userId: award.userId }, { consistent: true });
      if (!user) throw notFound('User not found');

      const before = user.puntos;
      const current = typeof before === 'number' && Number.isFinite(before) && before > 0 ? before : 0;
      const puntos = current + award.amount;
      if (!Number.isSafeInteger(puntos) || puntos > this.config.maxPuntos) {
        throw badRequest(`The award would take puntos to ${puntos}, above the maximum of ${this.config.maxPuntos}`, { field: 'amount' });
      }
      const nivel = this.levelFor(puntos);
      const awardedAt = new Date(this.clock.now()).toISOString();
      const holdsRead: Condition = before === undefined ? { notExists: 'puntos' } : { attr: 'puntos', op: '=', value: before };
      try {
        await this.tables.transactWrite([
          {
            put: {
              table: this.ledgerTable,
              item: {
                ...ledgerKey,
                userId: award.userId,
                amount: award.amount,
                reason: award.reason,
                awardedBy: caller.sub ?? caller.username ?? 'system',
                awardedAt,
                puntosAfter: puntos,
                nivelAfter: nivel,
              },
              condition: { notExists: 'idempotencyKey' },
            },
          },
          {
            update: {
              table: this.usersTable,
              key: { userId: award.userId },
              set: { puntos, nivel },
              condition: { and: [{ exists: 'userId' }, holdsRead] },
            },
          },
        ]);
        return { ...award, puntos, nivel, awardedAt, replayed: false };
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        // Key used meanwhile, puntos changed meanwhile, or profile deleted: the next round's reads
        // tell which (replay / retry / NotFound).
      }
    }
    throw new AppError(ErrorCode.Conflict, 'Too many concurrent changes to this user; retry the award');
  }

  /** A user's awards, oldest first (admin only): the ledger's audit trail. */
  async history(caller: PointsCaller, userId: string, limit = 100, cursor?: string): Promise<{ items: AwardResult[]; cursor?: string }> {
    if (!caller || !Array.isArray(caller.groups) || !caller.groups.includes(ADMIN_GROUP)) throw unauthorized();
    requireUserId(userId, 'userId');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be an integer from 1 to 1000', { field: 'limit' });
    const page = await this.tables.query({ table: this.ledgerTable, index: 'user-index', partition: userId, limit, cursor });
    return { items: page.items.map((i) => ({ ...fromLedger(i), replayed: false })), cursor: page.cursor };
  }

  private validate(input: AwardInput): Omit<AwardResult, 'puntos' | 'nivel' | 'awardedAt' | 'replayed'> {
    if (!input || typeof input !== 'object') throw badRequest('An award needs userId, amount, reason and idempotencyKey');
    const userId = requireUserId(input.userId, 'userId');
    const { amount } = input;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) throw badRequest('amount must be an integer', { field: 'amount' });
    if (amount <= 0) throw badRequest('amount must be positive: points are awarded, never deducted', { field: 'amount' });
    if (amount > this.config.maxAward) throw badRequest(`amount must be at most ${this.config.maxAward}`, { field: 'amount' });
    const reason = typeof input.reason === 'string' ? input.reason.trim() : undefined;
    if (!reason || [...reason].length > REASON_MAX || CONTROL.test(reason)) {
      throw badRequest(`reason must be 1 to ${REASON_MAX} characters without control characters`, { field: 'reason' });
    }
    const key = input.idempotencyKey;
    if (typeof key !== 'string' || key.length === 0 || key.length > KEY_MAX || CONTROL.test(key)) {
      throw badRequest(`idempotencyKey must be 1 to ${KEY_MAX} characters without control characters`, { field: 'idempotencyKey' });
    }
    return { idempotencyKey: key, userId, amount, reason };
  }
}

function fromLedger(item: Item): Omit<AwardResult, 'replayed'> {
  return {
    idempotencyKey: String(item.idempotencyKey),
    userId: String(item.userId),
    amount: Number(item.amount),
    reason: String(item.reason),
    puntos: Number(item.puntosAfter),
    nivel: Number(item.nivelAfter),
    awardedAt: String(item.awardedAt),
  };
}

function replay(recorded: Item, award: Pick<AwardResult, 'userId' | 'amount' | 'reason'>): AwardResult {
  const first = fromLedger(recorded);
  if (first.userId !== award.userId || first.amount !== award.amount || first.reason !== award.reason) {
    throw conflict('idempotencyKey was already used for a different award');
  }
  return { ...first, replayed: true };
}

const pause = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** (attempt - IMMEDIATE_RETRIES))));
