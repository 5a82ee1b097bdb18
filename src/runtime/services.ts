/**
 * The domain services over one Tables store: the same set for the server, the CLI and every
 * Lambda, so each entry differs only in which adapters it runs them on.
 */
import type { Config } from '../config/schema.ts';
import { ChatService } from '../domain/chat/chat-service.ts';
import { PointsService } from '../domain/points/points-service.ts';
import { RankingsService } from '../domain/rankings/rankings-service.ts';
import { SocialService } from '../domain/social/social-service.ts';
import { UsersService } from '../domain/users/users-service.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';

export interface DomainServices {
  users: UsersService;
  social: SocialService;
  chat: ChatService;
  points: PointsService;
  rankings: RankingsService;
}

export interface ServicesDeps {
  config: Pick<Config, 'tables' | 'limits' | 'points'>;
  tables: Tables;
  clock: Clock;
  ids: Ids;
  /** Absolute URL of a media key (the CDN base of this deployment), for the photo URLs of profiles. */
  mediaUrl?: (key: string) => string;
}

/** Cheap: services hold no connections of their own (the store does). */
export function createServices({ config, tables, clock, ids, mediaUrl }: ServicesDeps): DomainServices {
  const tableNames = config.tables;
  return {
    users: new UsersService({ tables, tableNames, clock, limits: config.limits, mediaUrl }),
    social: new SocialService({ tables, tableNames, clock, limits: config.limits, mediaUrl }),
    chat: new ChatService({ tables, tableNames, clock, ids, limits: config.limits, mediaUrl }),
    points: new PointsService({ tables, tableNames, clock, points: config.points }),
    rankings: new RankingsService({ tables, tableNames, limits: config.limits }),
  };
}
