/**
 * EventBridge's scheduled event, the input of CalculateRankings on AWS (a rule with a schedule
 * expression) and, built by scheduleRankings, embedded.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from '../../domain/errors.ts';

export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  /** When the rule fired, ISO 8601 UTC (e.g. "2026-01-02T00:00:00Z"). */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** The event EventBridge would send for a rule firing at `time`. */
export function scheduledEvent(time: Date, region = 'eu-west-3', account = '000000000000'): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/CalculateRankings`],
    detail: {},
  };
}

/** The snapshot date of an event: the UTC date of its `time`. Throws BadRequest on another shape. */
export function snapshotDateOf(event: unknown): string {
  const e = event as Partial<ScheduledEvent> | null;
  if (!e || typeof e !== 'object' || e['detail-type'] !== 'Scheduled Event' || e.source !== 'aws.events') {
    throw badRequest('CalculateRankings expects an EventBridge "Scheduled Event" from "aws.events"');
  }
  const ms = typeof e.time === 'string' ? Date.parse(e.time) : NaN;
  if (Number.isNaN(ms)) throw badRequest('The scheduled event has no valid ISO `time`');
  return new Date(ms).toISOString().slice(0, 10);
}
