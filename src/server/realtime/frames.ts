/**
 * The AppSync real-time messages this server sends (appsync.md §2.3-2.4), pre-serialized where
 * they never change. Per-subscription errors always carry the subscription id: Amplify ignores
 * errors it cannot attribute.
 */
export const KA = '{"type":"ka"}';

export interface WireError {
  errorType?: string | null;
  message: string;
  errorCode?: number;
  [key: string]: unknown;
}

export const connectionAck = (connectionTimeoutMs: number) =>
  `{"type":"connection_ack","payload":{"connectionTimeoutMs":${connectionTimeoutMs}}}`;

export const startAck = (idJson: string) => `{"type":"start_ack","id":${idJson}}`;

export const complete = (idJson: string) => `{"type":"complete","id":${idJson}}`;

/** `payloadJson` is the broker's `{"data":...}` text, embedded as is. */
export const data = (idJson: string, payloadJson: string) => `{"type":"data","id":${idJson},"payload":${payloadJson}}`;

export function error(id: string | undefined, errors: WireError[], extra?: Record<string, unknown>): string {
  const payload = { errors, ...extra };
  return JSON.stringify(id === undefined ? { type: 'error', payload } : { type: 'error', id, payload });
}

export const connectionError = (errors: WireError[]) => JSON.stringify({ type: 'connection_error', payload: { errors } });

/** Bad credentials at connection_init: 401 makes Amplify give up instead of retrying forever. */
export const unauthorizedConnection = (message: string) =>
  connectionError([{ errorType: 'UnauthorizedException', message, errorCode: 401 }]);

export const ERRORS = {
  unsupported: (what = 'unknown'): WireError => ({ errorType: 'UnsupportedOperation', message: `${what} not supported through the realtime channel` }),
  duplicated: (id: string): WireError => ({ errorType: 'DuplicatedOperationError', message: `Duplicated operation with id ${id}` }),
  maxSubscriptions: (max: number): WireError => ({ errorType: 'MaxSubscriptionsReachedError', message: `Max number of ${max} subscriptions reached` }),
  rateLimited: (): WireError => ({ errorType: 'LimitExceededError', message: 'Rate limit exceeded' }),
  notInitialised: (): WireError => ({
    errorType: 'BadRequestException',
    message: 'Send connection_init and wait for connection_ack before start.',
  }),
  badStart: (): WireError => ({ errorType: 'BadRequestException', message: 'Unable to parse GraphQL query.' }),
  badId: (): WireError => ({ errorType: 'BadRequestException', message: 'A start message needs an id: a string of 1 to 128 characters.' }),
  payloadTooLarge: (max: number): WireError => ({
    errorType: 'LimitExceededError',
    message: `Subscription payload exceeds the maximum size of ${max} bytes`,
  }),
  initTimeout: (ms: number): WireError => ({ errorType: 'ConnectionTimeoutError', message: `connection_init not received within ${ms} ms` }),
};
