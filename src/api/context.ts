import type { Principal } from '../domain/identity/contracts.ts';
import { unauthorized } from '../domain/errors.ts';

/** Who is calling, as established by the transport (HTTP headers or the realtime handshake). */
export type Caller =
  | { mode: 'API_KEY' }
  | { mode: 'AMAZON_COGNITO_USER_POOLS'; principal: Principal };

/** The GraphQL context value every resolver receives. */
export interface RequestContext {
  caller: Caller;
}

/** The signed-in user; resolvers that act on "my" data take the userId from here, never from input. */
export function callerPrincipal(ctx: RequestContext): Principal {
  if (ctx.caller.mode !== 'AMAZON_COGNITO_USER_POOLS') throw unauthorized();
  return ctx.caller.principal;
}
