import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../domain/errors.ts';
import { IdentityPoolErrorNames, type IdentityPool } from '../../domain/identity-pool/identity-pool.ts';
import type { Logger } from '../../ports/logger.ts';
import { headerSafe, type WireError } from '../cognito/errors.ts';
import { validationMessage } from '../cognito/shapes.ts';
import { sendJson, type BodyHandler } from '../http.ts';
import { poolTargets } from './targets/index.ts';

export const IDENTITY_POOL_PREFIX = 'AWSCognitoIdentityService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const NAMES: readonly string[] = IdentityPoolErrorNames;

/**
 * The Cognito Identity API (`POST /`, `X-Amz-Target: AWSCognitoIdentityService.<Action>`, JSON 1.1),
 * on the same port as the user pool: the same wire conventions (400 `{__type, message}` and
 * `x-amzn-ErrorType`, masked 500s, `x-amzn-RequestId`). Every action is public (Logins authorise).
 */
export function createIdentityPoolHandler(deps: { pool: IdentityPool; log: Logger }): BodyHandler {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const requestId = randomUUID();
    const fail = (e: WireError) =>
      sendJson(res, e.status, { __type: e.type, message: e.message }, {
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': `${e.type}:`,
        'x-amzn-errormessage': headerSafe(e.message),
      }, CONTENT_TYPE);
    const header = String(req.headers['x-amz-target'] ?? '');
    const name = header.startsWith(IDENTITY_POOL_PREFIX) ? header.slice(IDENTITY_POOL_PREFIX.length) : undefined;
    const target = name === undefined ? undefined : poolTargets.get(name);
    if (!target) return fail({ status: 400, type: 'UnknownOperationException', message: `Unknown operation ${headerSafe(header).slice(0, 128)}` });
    let json: unknown;
    try {
      json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return fail({ status: 400, type: 'SerializationException', message: 'The request body is not valid JSON.' });
    }
    const parsed = target.input.safeParse(json);
    if (!parsed.success) return fail({ status: 400, type: 'InvalidParameterException', message: validationMessage(parsed.error) });
    try {
      sendJson(res, 200, await target.run(deps.pool, parsed.data), { 'x-amzn-requestid': requestId }, CONTENT_TYPE);
    } catch (err) {
      if (err instanceof AppError && NAMES.includes(err.code)) return fail({ status: 400, type: err.code, message: err.message });
      deps.log.error({ err, action: name, requestId }, 'identity pool action failed');
      fail({ status: 500, type: 'InternalErrorException', message: 'An internal error occurred.' });
    }
  };
}
