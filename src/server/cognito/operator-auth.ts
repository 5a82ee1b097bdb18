import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../ports/clock.ts';
import { verifySigV4, type SigV4FailureCode } from '../sigv4/verify.ts';
import type { WireError } from './errors.ts';

/** How Cognito (an AWS JSON service) names each SigV4 refusal. */
const WIRE: Record<SigV4FailureCode, string> = {
  Missing: 'MissingAuthenticationTokenException',
  Malformed: 'IncompleteSignatureException',
  UnknownKey: 'UnrecognizedClientException',
  ExpiredToken: 'ExpiredTokenException',
  InvalidToken: 'UnrecognizedClientException',
  WrongScope: 'InvalidSignatureException',
  Expired: 'InvalidSignatureException',
  SignatureMismatch: 'InvalidSignatureException',
};

/**
 * The operator check of the Cognito admin API: SigV4 (service `cognito-idp`, this server's region)
 * with the installation's operator credentials, and nothing else. Anything the AWS CLI or an SDK
 * would get from Cognito for a missing, unknown or wrong signature comes back in the same shape.
 */
export function createOperatorAuth(o: {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  maxSkewMs: number;
  clock: Clock;
}): (req: IncomingMessage, body: Buffer) => Promise<WireError | undefined> {
  return async (req, body) => {
    const result = await verifySigV4(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
      {
        service: 'cognito-idp',
        region: o.region,
        now: o.clock.now(),
        maxSkewMs: o.maxSkewMs,
        credentials: async (accessKeyId) =>
          accessKeyId === o.accessKeyId ? { secretAccessKey: o.secretAccessKey, principal: 'operator' } : undefined,
      },
    );
    if (result.ok) return undefined;
    return { status: 400, type: WIRE[result.failure.code], message: result.failure.message };
  };
}
