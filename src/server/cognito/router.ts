import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../../domain/identity/create-identity.ts';
import type { Logger } from '../../ports/logger.ts';
import { sendJson, type BodyHandler } from '../http.ts';
import { INTERNAL, headerSafe, toWireError, type WireError } from './errors.ts';
import { validationMessage } from './shapes.ts';
import { targets } from './targets/index.ts';

const PREFIX = 'AWSCognitoIdentityProviderService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The Cognito user pool API: `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`
 * and a JSON 1.1 body (already read and size-limited). Answers 200 with the action's output, or
 * 400 `{"__type","message"}` plus `x-amzn-ErrorType: <Name>:` / `x-amzn-ErrorMessage`; unexpected
 * failures are logged and masked as 500 InternalErrorException. Every answer has `x-amzn-RequestId`.
 * Operator actions first pass `authorizeOperator` (SigV4 with the operator's keys); on public
 * actions an `Authorization` header (SDKs and the CLI may sign them) is ignored.
 */
export function createCognitoHandler(deps: {
  identity: Identity;
  log: Logger;
  /** Once per request: the action (or `unknown`), the exception name when it failed, seconds taken. */
  observe?: (action: string, errorType: string | undefined, seconds: number) => void;
  /** Checks an operator action's signature; a WireError refuses it. Absent: operator actions are refused. */
  authorizeOperator?: (req: IncomingMessage, body: Buffer) => Promise<WireError | undefined>;
}): BodyHandler {
  const { identity, log } = deps;

  return async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const started = performance.now();
    let action = 'unknown';
    let failed: string | undefined;
    try {
      await handle(req, res, body, (name) => (action = name), (type) => (failed = type));
    } finally {
      deps.observe?.(action, failed, (performance.now() - started) / 1000);
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, named: (action: string) => void, failedWith: (type: string) => void) {
    const requestId = randomUUID();
    const ok = (payload: object) => sendJson(res, 200, payload, { 'x-amzn-requestid': requestId }, CONTENT_TYPE);
    const fail = (e: WireError) => {
      failedWith(e.type);
      sendJson(res, e.status, { __type: e.type, message: e.message }, {
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': `${e.type}:`,
        'x-amzn-errormessage': headerSafe(e.message),
      }, CONTENT_TYPE);
    };

    const header = req.headers['x-amz-target'];
    const name = typeof header === 'string' && header.startsWith(PREFIX) ? header.slice(PREFIX.length) : undefined;
    const target = name === undefined ? undefined : targets.get(name);
    if (!target) {
      const shown = headerSafe(String(header ?? '')).slice(0, 128);
      return fail({ status: 400, type: 'UnknownOperationException', message: `Unknown operation ${shown}` });
    }
    named(name!);

    if (target.operator) {
      const refused = deps.authorizeOperator
        ? await deps.authorizeOperator(req, body)
        : { status: 400, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
      if (refused) return fail(refused);
    }

    let json: unknown;
    try {
      json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return fail({ status: 400, type: 'SerializationException', message: 'The request body is not valid JSON.' });
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      return fail({ status: 400, type: 'SerializationException', message: 'The request body must be a JSON object.' });
    }
    const parsed = target.input.safeParse(json);
    if (!parsed.success) {
      return fail({ status: 400, type: 'InvalidParameterException', message: validationMessage(parsed.error) });
    }

    try {
      ok(await target.run(identity, parsed.data));
    } catch (err) {
      const wire = toWireError(err);
      if (wire) return fail(wire);
      log.error({ err, action: name, requestId }, 'cognito action failed');
      fail(INTERNAL);
    }
  }
}
