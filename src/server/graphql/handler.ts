import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Config } from '../../config/schema.ts';
import type { TokenVerifier } from '../../domain/identity/contracts.ts';
import type { UsersService } from '../../domain/users/users-service.ts';
import type { SocialService } from '../../domain/social/social-service.ts';
import type { ChatService } from '../../domain/chat/chat-service.ts';
import type { GraphQLSchema } from 'graphql';
import type { ApiServices } from '../../api/operation.ts';
import type { Logger } from '../../ports/logger.ts';
import type { RequestContext } from '../../api/context.ts';
import { buildExecutableSchema, type BuildOptions } from '../../api/executable-schema.ts';
import type { BodyHandler } from '../http.ts';
import type { ServerMetrics } from '../metrics.ts';
import { DocumentCache, requestErrorsBody } from './documents.ts';
import { executeDocument } from './executor.ts';
import { formatFieldError, formatRequestError, type FieldError } from './errors.ts';
import { createRequestAuth } from './request-auth.ts';
import { validationRules } from './validation.ts';

export interface GraphqlHandlerDeps {
  config: Config;
  apiKey: string;
  verifier: TokenVerifier;
  users: UsersService;
  /** Omitted (profile-only harnesses): the social operations answer UnsupportedOperation. */
  social?: SocialService;
  /** Omitted: the chat operations answer UnsupportedOperation. */
  chat?: ChatService;
  /** Omitted: heartbeat answers UnsupportedOperation. */
  presence?: ApiServices['presence'];
  /** Omitted: awardPoints answers UnsupportedOperation. */
  points?: ApiServices['points'];
  /** Omitted: getRankings and myRank answer UnsupportedOperation. */
  rankings?: ApiServices['rankings'];
  /** Omitted: requestUpload, listPhotos and deletePhoto answer UnsupportedOperation. */
  media?: ApiServices['media'];
  /** Sees the executable schema once built (the realtime layer wires mutation publishing and shares it). */
  extendSchema?: (schema: GraphQLSchema) => void;
  metrics: ServerMetrics;
  log: Logger;
  /** Another SDL / operation list (tests of the hardening rules on deeper schemas). */
  schemaOptions?: BuildOptions;
}

const MALFORMED = 'MalformedHttpRequestException';
const EMPTY_BODY = JSON.stringify({ errors: [{ message: 'Request body is empty.', errorType: MALFORMED }] });
const UNPARSABLE = JSON.stringify({ errors: [{ message: 'Unable to parse GraphQL query.', errorType: MALFORMED }] });
const VALIDATION = 'ValidationError';

/**
 * AppSync's HTTP GraphQL endpoint (appsync.md §1): request auth, body checks, cached parse +
 * validation (with the hardening limits), execution, AppSync-shaped errors. Everything that
 * depends only on the schema or the query text is done once, not per request.
 */
export function createGraphqlHandler(deps: GraphqlHandlerDeps): BodyHandler {
  const { config, metrics, log } = deps;
  const { limits } = config;
  const schema = buildExecutableSchema(
    { users: deps.users, social: deps.social, chat: deps.chat, presence: deps.presence, points: deps.points, rankings: deps.rankings, media: deps.media, limits },
    deps.schemaOptions,
  );
  deps.extendSchema?.(schema);
  const documents = new DocumentCache(
    schema,
    validationRules({ limits, noIntrospection: config.production }),
    { size: limits.parsedDocumentCacheSize, maxTokens: limits.maxTokens },
  );
  const authenticate = createRequestAuth(deps.apiKey, deps.verifier);

  const send = (res: ServerResponse, status: number, body: string, headers?: Record<string, string>) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  // Every request is counted once, under its operation (root field) and auth mode, with its errors.
  return async (req, res, body) => {
    const started = performance.now();
    const seen: Seen = { operation: NO_OPERATION, authMode: 'none', errors: [] };
    try {
      await handle(req, res, body, seen);
    } finally {
      metrics.observeApi(seen.operation, seen.authMode, seen.errors, (performance.now() - started) / 1000);
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, seen: Seen): Promise<void> {
    const count = (errorType: string, n = 1) => {
      for (let i = 0; i < n; i++) seen.errors.push(errorType);
    };
    const auth = await authenticate(req.headers);
    if (!auth.ok && auth.unavailable) {
      count('ServiceUnavailableException');
      send(res, 503, JSON.stringify({ errors: [{ errorType: 'ServiceUnavailableException', message: auth.message }] }), {
        'x-amzn-ErrorType': 'ServiceUnavailableException',
        'retry-after': '1',
      });
      return;
    }
    if (!auth.ok) {
      count('UnauthorizedException');
      send(res, 401, JSON.stringify({ errors: [{ errorType: 'UnauthorizedException', message: auth.message }] }), {
        'x-amzn-ErrorType': 'UnauthorizedException',
      });
      return;
    }
    if (body.length === 0) {
      count(MALFORMED);
      return send(res, 400, EMPTY_BODY);
    }
    const request = parseRequest(body);
    if (!request) {
      count(MALFORMED);
      return send(res, 400, UNPARSABLE);
    }

    const prepared = documents.get(request.query);
    if (!prepared.ok) {
      count(VALIDATION, prepared.errorCount);
      return send(res, 200, prepared.body);
    }
    const ops = prepared.operations;
    const kind = request.operationName !== undefined ? ops.get(request.operationName) : ops.size === 1 ? ops.values().next().value : undefined;
    if (kind === 'subscription') {
      count(VALIDATION);
      return send(
        res,
        200,
        requestErrorsBody([
          { path: null, locations: null, message: 'Subscriptions are served over the realtime endpoint (/graphql/realtime).' },
        ]),
      );
    }

    seen.authMode = auth.caller.mode;
    seen.operation = prepared.rootFields.get(request.operationName ?? (ops.size === 1 ? ops.keys().next().value! : null)) ?? NO_OPERATION;
    const contextValue: RequestContext = { caller: auth.caller };
    const result = await executeDocument(prepared, contextValue, request.variables, request.operationName);

    if (!result.errors) return send(res, 200, JSON.stringify({ data: result.data ?? null }));
    if (result.data === undefined) {
      // Rejected before execution (variables, operation name): nothing ran.
      count(VALIDATION, result.errors.length);
      return send(res, 200, requestErrorsBody(result.errors.map(formatRequestError)));
    }
    const errors: FieldError[] = result.errors.map((e: GraphQLError) => {
      const f = formatFieldError(e, log);
      count(f.errorType ?? 'ExecutionError');
      return f;
    });
    send(res, 200, JSON.stringify({ data: result.data, errors }));
  }
}

/** The operation label of requests refused before an operation was chosen (auth, body, validation). */
const NO_OPERATION = '-';

interface Seen {
  operation: string;
  authMode: string;
  errors: string[];
}

interface GraphqlRequest {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
}

/**
 * `{query, variables?, operationName?}` as one JSON object; `variables: null` and a missing
 * operationName are normal (Amplify v6). Arrays (HTTP batching) are refused like any other
 * malformed body.
 */
function parseRequest(body: Buffer): GraphqlRequest | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const { query, variables, operationName } = payload as Record<string, unknown>;
  if (typeof query !== 'string' || query.trim() === '') return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    return undefined;
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  return {
    query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: (operationName ?? undefined) as string | undefined,
  };
}
