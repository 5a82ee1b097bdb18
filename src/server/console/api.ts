/**
 * The console's JSON API under /console/api/. Every route but `config` needs a user-pool token
 * (ID or access, `Authorization: Bearer`) of a member of the `admin` group, checked exactly as
 * GraphQL checks callers (signature, expiry, revocation, disabled users) and as awardPoints
 * checks the admin group. Errors have GraphQL's shape: `{"errors":[{"errorType","message"}]}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/schema.ts';
import { AppError, ErrorCode } from '../../domain/errors.ts';
import type { Identity } from '../../domain/identity/create-identity.ts';
import type { TokenVerifier } from '../../domain/identity/contracts.ts';
import { estimate, SEED_USAGE, countedUsage, projectMonth } from '../../domain/monitoring/cost.ts';
import { parseExposition } from '../../domain/monitoring/exposition.ts';
import { ADMIN_GROUP } from '../../domain/points/points-service.ts';
import { doctorCounters, type DoctorCountersResult } from '../../functions/update-user-counters/doctor.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Tables } from '../../ports/tables.ts';
import type { Endpoints } from '../../runtime/endpoints.ts';
import { RankingsUnavailableError } from '../../runtime/rankings-schedule.ts';
import type { DomainServices } from '../../runtime/services.ts';
import type { System } from '../../runtime/system.ts';
import { createRequestAuth } from '../graphql/request-auth.ts';
import { BodyTooLargeError, readBody, sendJson } from '../http.ts';
import type { ServerMetrics } from '../metrics.ts';
import { Job } from './job.ts';

export interface ConsoleApiDeps {
  config: Config;
  apiKey: string;
  verifier: TokenVerifier;
  identity: Pick<Identity, 'adminGetUserBySub' | 'addUserToGroup' | 'removeUserFromGroup' | 'setUserEnabled'>;
  services: DomainServices;
  tables: Tables;
  metrics: ServerMetrics;
  system: Pick<System, 'alarms' | 'history' | 'mediaActivity' | 'rankings' | 'replicaId' | 'startedAt'>;
  /** CDN URL of a media key (thumbnails). */
  urlFor: (key: string) => string;
  endpoints: () => Endpoints;
  realtimeStats: () => { connections: number; subscriptions: number };
  log: Logger;
}

const BODY_LIMIT = 16 * 1024;
const PAGE = 20;
/** Conversations counted per user at most (counts, never contents). */
const MAX_CONVERSATIONS_COUNTED = 10_000;

type Handler = (ctx: { req: IncomingMessage; params: string[]; query: URLSearchParams; body: () => Promise<Record<string, unknown>> }) => Promise<unknown>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new HttpError(400, 'BadRequestException', message);
const notFound = (message: string) => new HttpError(404, 'NotFound', message);

export function createConsoleApi(deps: ConsoleApiDeps) {
  const authenticate = createRequestAuth(deps.apiKey, deps.verifier);
  const { services, config } = deps;
  const counters = new Job<{ users: number; drift: number }, DoctorCountersResult & { fix: boolean }>();

  const profileOrThrow = async (userId: string) => {
    const profile = await services.users.getUser(userId);
    if (!profile) throw notFound(`No user ${userId}`);
    return profile;
  };
  const accountOrThrow = async (userId: string) => {
    const account = await deps.identity.adminGetUserBySub(userId);
    if (!account) throw notFound(`No user-pool account for ${userId}`);
    return account;
  };

  const routes: Array<[method: string, pattern: RegExp, handler: Handler]> = [
    ['GET', /^session$/, async ({ req }) => ({ ...(await admin(req)), apiKey: deps.apiKey })],
    [
      'GET',
      /^overview$/,
      async () => ({
        startedAt: deps.system.startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - deps.system.startedAt.getTime()) / 1000),
        replicaId: deps.system.replicaId,
        store: config.store,
        bus: config.bus,
        media: config.media.store,
        sampleSeconds: config.monitoring.sampleSeconds,
        realtime: deps.realtimeStats(),
        graphs: deps.system.history.read(),
        alarms: deps.system.alarms.status(),
      }),
    ],
    ['GET', /^alarms$/, async () => deps.system.alarms.status()],
    [
      'GET',
      /^users$/,
      async ({ query }) => {
        const q = query.get('nickname')?.trim() ?? '';
        if (!q) throw badRequest('nickname (a prefix) is required');
        try {
          return await services.users.search(q, PAGE, query.get('cursor') ?? undefined);
        } catch (err) {
          if (err instanceof AppError && err.code === ErrorCode.BadRequest) throw badRequest(err.message);
          throw err;
        }
      },
    ],
    [
      'GET',
      /^users\/([^/]+)$/,
      async ({ params: [userId] }) => {
        const [profile, account, followers, following, conversations] = await Promise.all([
          profileOrThrow(userId),
          deps.identity.adminGetUserBySub(userId),
          services.social.listFollowers(userId, PAGE),
          services.social.listFollowing(userId, PAGE),
          services.chat.countConversations(userId, MAX_CONVERSATIONS_COUNTED),
        ]);
        return { profile, account: account ?? null, followers: followers.items, following: following.items, conversations };
      },
    ],
    [
      'POST',
      /^users\/([^/]+)\/groups$/,
      async ({ params: [userId], body }) => {
        const { group, member } = await body();
        if (group !== ADMIN_GROUP) throw badRequest(`only the ${ADMIN_GROUP} group is managed here`);
        if (typeof member !== 'boolean') throw badRequest('member must be true or false');
        const account = await accountOrThrow(userId);
        if (member) await deps.identity.addUserToGroup(account.username, group);
        else await deps.identity.removeUserFromGroup(account.username, group);
        return { account: await deps.identity.adminGetUserBySub(userId) };
      },
    ],
    [
      'POST',
      /^users\/([^/]+)\/enabled$/,
      async ({ params: [userId], body }) => {
        const { enabled } = await body();
        if (typeof enabled !== 'boolean') throw badRequest('enabled must be true or false');
        const account = await accountOrThrow(userId);
        await deps.identity.setUserEnabled(account.username, enabled);
        return { account: await deps.identity.adminGetUserBySub(userId) };
      },
    ],
    [
      'GET',
      /^conversations$/,
      async ({ query }) => {
        const q = query.get('nickname')?.trim() ?? '';
        if (!q) throw badRequest('nickname (a prefix) is required');
        const users = (await services.users.search(q, PAGE)).items;
        const counts = await Promise.all(users.map((u) => services.chat.countConversations(u.userId, MAX_CONVERSATIONS_COUNTED)));
        return { items: users.map((u, i) => ({ userId: u.userId, nickname: u.nickname, ...counts[i] })) };
      },
    ],
    ['GET', /^counters$/, async () => ({ job: counters.view() })],
    [
      'POST',
      /^counters$/,
      async ({ body }) => {
        const { fix } = await body();
        if (fix !== undefined && typeof fix !== 'boolean') throw badRequest('fix must be true or false');
        const job = counters.start(async (progress) => ({
          ...(await doctorCounters({ tables: deps.tables, tableNames: config.tables, fix: fix === true, onProgress: progress })),
          fix: fix === true,
        }));
        return { job };
      },
    ],
    ['GET', /^media$/, async () => ({ items: deps.system.mediaActivity.recent().map((e) => ({ ...e, thumbnailUrl: e.thumbnailKey ? deps.urlFor(e.thumbnailKey) : null })) })],
    [
      'GET',
      /^rankings$/,
      async ({ query }) => {
        const scope = query.get('scope') ?? 'GLOBAL';
        let page;
        try {
          page = await services.rankings.getRankings({ scope, pais: query.get('pais'), ciudad: query.get('ciudad'), limit: PAGE });
        } catch (err) {
          if (err instanceof AppError && err.code === ErrorCode.BadRequest) throw badRequest(err.message);
          throw err;
        }
        const current = await services.rankings.current();
        const nextRun = deps.system.rankings.nextRun();
        return { current, page, nextRun: nextRun?.toISOString() ?? null, run: deps.system.rankings.lastRun() };
      },
    ],
    [
      'POST',
      /^rankings\/run$/,
      async () => {
        try {
          return { run: deps.system.rankings.runNow() };
        } catch (err) {
          if (err instanceof RankingsUnavailableError) throw new HttpError(409, 'ConflictException', err.message);
          throw err;
        }
      },
    ],
    [
      'GET',
      /^cost$/,
      async () => {
        const counted = countedUsage(parseExposition(await deps.metrics.registry.metrics()), Date.now() / 1000);
        return { model: estimate(SEED_USAGE), projected: estimate(projectMonth(counted)), countedSeconds: Math.round(counted.seconds) };
      },
    ],
  ];

  /** The admin behind the request, or an HttpError in GraphQL's shape. */
  async function admin(req: IncomingMessage) {
    if (req.headers['x-api-key'] !== undefined) throw new HttpError(401, 'UnauthorizedException', 'The console needs a user-pool token, not the API key.');
    const auth = await authenticate(req.headers);
    if (!auth.ok) throw new HttpError(401, 'UnauthorizedException', auth.message);
    if (auth.caller.mode !== 'AMAZON_COGNITO_USER_POOLS') throw new HttpError(401, 'UnauthorizedException', 'Valid authorization header not provided.');
    const { principal } = auth.caller;
    if (!principal.groups.includes(ADMIN_GROUP)) throw new HttpError(403, 'Unauthorized', `Not Authorized: the console is for members of the ${ADMIN_GROUP} group.`);
    return { username: principal.username, sub: principal.sub, groups: principal.groups };
  }

  /** Handles `/console/api/<rest>`; resolves once answered. */
  return async function handle(req: IncomingMessage, res: ServerResponse, rest: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      if (rest === 'config' && method === 'GET') {
        const e = deps.endpoints();
        return sendJson(res, 200, { region: e.region, userPoolId: e.userPoolId, clientId: e.userPoolClientId, adminGroup: ADMIN_GROUP }, { "cache-control": "no-store" });
      }
      const route = routes.find(([m, pattern]) => pattern.test(rest) && m === method);
      if (!route) {
        const known = routes.some(([, pattern]) => pattern.test(rest));
        throw known ? new HttpError(405, 'MethodNotAllowed', `Use ${routes.filter(([, p]) => p.test(rest)).map(([m]) => m).join(' or ')}.`) : notFound('No such console route');
      }
      await admin(req);
      const params = (route[1].exec(rest) ?? []).slice(1).map((p) => decodeURIComponent(p));
      const body = async () => {
        let raw: Buffer;
        try {
          raw = await readBody(req, BODY_LIMIT);
        } catch (err) {
          if (err instanceof BodyTooLargeError) throw badRequest(err.message);
          throw err;
        }
        let parsed: unknown;
        try {
          parsed = raw.length ? JSON.parse(raw.toString('utf8')) : {};
        } catch {
          throw badRequest('The request body is not valid JSON.');
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('The request body must be a JSON object.');
        return parsed as Record<string, unknown>;
      };
      const out = await route[2]({ req, params, query, body });
      sendJson(res, 200, out, { 'cache-control': 'no-store' });
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { errors: [{ errorType: err.errorType, message: err.message }] });
      if (err instanceof AppError) {
        const status = err.code === 'UserNotFoundException' || err.code === ErrorCode.NotFound ? 404 : 400;
        return sendJson(res, status, { errors: [{ errorType: err.code, message: err.message }] });
      }
      deps.log.error({ err, path: rest }, 'console request failed');
      sendJson(res, 500, { errors: [{ errorType: ErrorCode.InternalFailure, message: 'An internal error occurred' }] });
    }
  };
}
