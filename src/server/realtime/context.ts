import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../../config/schema.ts';
import type { SubscriptionBroker } from '../../api/subscriptions/broker.ts';
import type { Logger } from '../../ports/logger.ts';
import type { DocumentCache } from '../graphql/documents.ts';
import type { AuthOutcome } from '../graphql/request-auth.ts';
import type { RealtimeConnection } from './connection.ts';

/** Presence as the transport reports it: one call per user a connection starts / stops holding. */
export interface PresenceHooks {
  connected(userId: string): void;
  disconnected(userId: string): void;
}

/** What every connection shares: limits, the broker, the parse cache, the authenticator. */
export interface RealtimeContext {
  limits: Config['realtime'];
  broker: SubscriptionBroker;
  documents: DocumentCache;
  authenticate(headers: IncomingHttpHeaders): Promise<AuthOutcome>;
  presence?: PresenceHooks;
  log: Logger;
  /** Called once when a connection ends, whatever the reason. */
  closed(connection: RealtimeConnection): void;
}
