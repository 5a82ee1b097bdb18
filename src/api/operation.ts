import type { GraphQLResolveInfo } from 'graphql';
import type { Config } from '../config/schema.ts';
import type { ChatService } from '../domain/chat/chat-service.ts';
import type { MediaService } from '../domain/media/media-service.ts';
import type { PresenceService } from '../domain/presence/presence-service.ts';
import type { PointsService } from '../domain/points/points-service.ts';
import type { RankingsService } from '../domain/rankings/rankings-service.ts';
import type { SocialService } from '../domain/social/social-service.ts';
import type { UsersService } from '../domain/users/users-service.ts';
import type { RequestContext } from './context.ts';

/**
 * Everything a resolver may use. Each operation declares the subset it needs (`Pick`), so its
 * dependencies are visible at a glance and tests hand it only those.
 */
export interface ApiServices {
  users: UsersService;
  social: SocialService;
  chat: ChatService;
  /** Only what the API calls: the heartbeat mutation. */
  presence: Pick<PresenceService, 'heartbeat'>;
  /** awardPoints (admin group). */
  points: Pick<PointsService, 'award'>;
  /** getRankings, myRank: reads of the current snapshot. */
  rankings: Pick<RankingsService, 'getRankings' | 'myRank'>;
  /** requestUpload, listPhotos, deletePhoto (src/domain/media). */
  media: Pick<MediaService, 'requestUpload' | 'listPhotos' | 'deletePhoto'>;
  limits: Config['limits'];
}

/**
 * What the schema is built from: users and limits always; a domain service left out (a test
 * harness that only wires profiles) makes the operations that use it answer UnsupportedOperation.
 */
export type ApiServicesInput = Pick<ApiServices, 'users' | 'limits'> & Partial<ApiServices>;

export type FieldResolver<Args = Record<string, unknown>> = (
  args: Args,
  ctx: RequestContext,
  info: GraphQLResolveInfo,
) => unknown;

/** One GraphQL root field: where it lives in the schema and how to build its resolver. */
export interface Operation<K extends keyof ApiServices = keyof ApiServices> {
  type: 'Query' | 'Mutation' | 'Subscription';
  field: string;
  /** Names of the services `resolver` receives (checked against ApiServices at build time). */
  uses: readonly K[];
  resolver(services: Pick<ApiServices, K>): FieldResolver<never>;
}

/** Identity helper that keeps the services' key type inferred from `uses`. */
export const defineOperation = <K extends keyof ApiServices>(op: Operation<K>): Operation<K> => op;
