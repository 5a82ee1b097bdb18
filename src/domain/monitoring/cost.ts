/**
 * The monthly cost estimate: the seed's usage model (DynamoDB on demand, S3 100 GB, CloudFront
 * 1 TB, Lambda 1M invocations, AppSync 1M requests) priced at eu-west-3 public list prices, and
 * the same five lines projected to a month from what an installation counted on `/metrics`.
 *
 * The seed's own five figures were not available to this project; the model's quantities the
 * issue does not give (DynamoDB request units and storage, Lambda duration) are stated in
 * SEED_USAGE and printed with the estimate. Prices are list prices in USD without free tiers.
 */
import type { Sample } from './evaluate.ts';
import { METRICS } from './metrics.ts';

/** Public list prices, eu-west-3 (Paris), USD. Update `date` with the figures. */
export const PRICES = {
  date: '2025-06-01',
  region: 'eu-west-3',
  dynamodb: {
    /** On-demand, per million write / read request units (after the November 2024 on-demand price cut). */
    writeUnitsPerMillion: 0.7425,
    readUnitsPerMillion: 0.1485,
    storageGbMonth: 0.297,
  },
  s3: { storageGbMonth: 0.024, putPerThousand: 0.0053, getPerThousand: 0.00042 },
  /** Data transfer out to the internet from Europe edge locations, first 10 TB; HTTPS requests. */
  cloudfront: { transferOutGb: 0.085, httpsPerTenThousand: 0.012 },
  /** x86_64. */
  lambda: { requestsPerMillion: 0.2, gbSecond: 0.0000166667 },
  /** Query and data-modification operations; real-time updates. */
  appsync: { requestsPerMillion: 4.0, realtimeMessagesPerMillion: 2.0 },
} as const;

/** AWS bills a month as 730 hours. */
export const MONTH_SECONDS = 730 * 3600;

export interface Usage {
  dynamodb: { readUnits: number; writeUnits: number; storageGb: number };
  s3: { storageGb: number; puts: number; gets: number };
  cloudfront: { transferGb: number; requests: number };
  lambda: { invocations: number; gbSeconds: number };
  appsync: { requests: number; realtimeMessages: number };
}

/** Average Lambda memory and duration the model assumes (the seed's functions are 128 MB to 3 GB). */
export const LAMBDA_ASSUMPTION = { memoryGb: 0.5, averageSeconds: 0.2 } as const;

/** The seed's usage model, with this project's assumptions where the issue gives no figure. */
export const SEED_USAGE: Usage = {
  // One read and one write request unit per API request; 1 GB of items.
  dynamodb: { readUnits: 1_000_000, writeUnits: 1_000_000, storageGb: 1 },
  s3: { storageGb: 100, puts: 0, gets: 0 },
  cloudfront: { transferGb: 1024, requests: 0 },
  lambda: { invocations: 1_000_000, gbSeconds: 1_000_000 * LAMBDA_ASSUMPTION.memoryGb * LAMBDA_ASSUMPTION.averageSeconds },
  appsync: { requests: 1_000_000, realtimeMessages: 0 },
};

export type Service = keyof Usage;
export const SERVICES: readonly Service[] = ['dynamodb', 's3', 'cloudfront', 'lambda', 'appsync'];
export const SERVICE_NAMES: Record<Service, string> = {
  dynamodb: 'DynamoDB (on demand)',
  s3: 'S3 (media)',
  cloudfront: 'CloudFront',
  lambda: 'Lambda',
  appsync: 'AppSync',
};

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** Monthly cost of one service's usage, USD, rounded to the cent. */
export function serviceCost(service: Service, usage: Usage): number {
  const p = PRICES;
  switch (service) {
    case 'dynamodb': {
      const u = usage.dynamodb;
      return cents((u.writeUnits / 1e6) * p.dynamodb.writeUnitsPerMillion + (u.readUnits / 1e6) * p.dynamodb.readUnitsPerMillion + u.storageGb * p.dynamodb.storageGbMonth);
    }
    case 's3': {
      const u = usage.s3;
      return cents(u.storageGb * p.s3.storageGbMonth + (u.puts / 1000) * p.s3.putPerThousand + (u.gets / 1000) * p.s3.getPerThousand);
    }
    case 'cloudfront': {
      const u = usage.cloudfront;
      return cents(u.transferGb * p.cloudfront.transferOutGb + (u.requests / 10_000) * p.cloudfront.httpsPerTenThousand);
    }
    case 'lambda': {
      const u = usage.lambda;
      return cents((u.invocations / 1e6) * p.lambda.requestsPerMillion + u.gbSeconds * p.lambda.gbSecond);
    }
    case 'appsync': {
      const u = usage.appsync;
      return cents((u.requests / 1e6) * p.appsync.requestsPerMillion + (u.realtimeMessages / 1e6) * p.appsync.realtimeMessagesPerMillion);
    }
  }
}

const n = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100));

/** What a line's usage is, in words. */
export function describeUsage(service: Service, usage: Usage): string {
  switch (service) {
    case 'dynamodb':
      return `${n(usage.dynamodb.readUnits)} RRU, ${n(usage.dynamodb.writeUnits)} WRU, ${n(usage.dynamodb.storageGb)} GB`;
    case 's3':
      return `${n(usage.s3.storageGb)} GB, ${n(usage.s3.puts)} PUT, ${n(usage.s3.gets)} GET`;
    case 'cloudfront':
      return `${n(usage.cloudfront.transferGb)} GB out, ${n(usage.cloudfront.requests)} requests`;
    case 'lambda':
      return `${n(usage.lambda.invocations)} invocations, ${n(usage.lambda.gbSeconds)} GB-s`;
    case 'appsync':
      return `${n(usage.appsync.requests)} requests, ${n(usage.appsync.realtimeMessages)} real-time messages`;
  }
}

export interface CostLine {
  service: Service;
  name: string;
  usage: string;
  usd: number;
}

export interface CostEstimate {
  priceDate: string;
  region: string;
  lines: CostLine[];
  totalUsd: number;
}

export function estimate(usage: Usage): CostEstimate {
  const lines = SERVICES.map((service) => ({ service, name: SERVICE_NAMES[service], usage: describeUsage(service, usage), usd: serviceCost(service, usage) }));
  return { priceDate: PRICES.date, region: PRICES.region, lines, totalUsd: cents(lines.reduce((a, l) => a + l.usd, 0)) };
}

// ---- Projection from counted usage ---------------------------------------------------------------

const CDN_BEHAVIOURS = new Set(['/profile-photos/*', '/fotos/*', '/videos/*']);

function sum(samples: readonly Sample[], name: string, keep: (labels: Readonly<Record<string, string>>) => boolean = () => true): number {
  let total = 0;
  for (const s of samples) if (s.name === name && keep(s.labels)) total += s.value;
  return total;
}

export interface CountedUsage {
  /** Seconds the counts cover (the server's uptime). */
  seconds: number;
  /** Counted usage in that time (storage: kept from the model; it is not counted). */
  usage: Usage;
}

/**
 * What the server counted since it started, from its `/metrics` samples: DynamoDB request
 * units (estimated by the store), media PUTs and downloads (S3), CDN bytes and requests
 * (CloudFront), function invocations and durations plus API requests (Lambda, taking every
 * operation as a resolver invocation: an upper bound), API requests and real-time messages
 * (AppSync). Storage is not counted: the model's figures stay.
 */
export function countedUsage(samples: readonly Sample[], nowSeconds: number): CountedUsage {
  const start = samples.find((s) => s.name === 'process_start_time_seconds')?.value;
  if (start === undefined) throw new Error('process_start_time_seconds is missing: not a BiiLive /metrics page');
  const seconds = Math.max(1, nowSeconds - start);
  const units = (kind: string) => sum(samples, METRICS.storeUnits.name, (l) => l.kind === kind);
  const media = METRICS.mediaRequests.name;
  const apiRequests = sum(samples, METRICS.apiRequests.name);
  const memory = LAMBDA_ASSUMPTION.memoryGb;
  return {
    seconds,
    usage: {
      dynamodb: { readUnits: units('read'), writeUnits: units('write'), storageGb: SEED_USAGE.dynamodb.storageGb },
      s3: {
        storageGb: SEED_USAGE.s3.storageGb,
        puts: sum(samples, media, (l) => l.method === 'PUT'),
        gets: sum(samples, media, (l) => l.behaviour === 'download' && l.method === 'GET'),
      },
      cloudfront: {
        transferGb: sum(samples, METRICS.mediaBytes.name, (l) => CDN_BEHAVIOURS.has(l.behaviour)) / 2 ** 30,
        requests: sum(samples, media, (l) => CDN_BEHAVIOURS.has(l.behaviour)),
      },
      lambda: {
        invocations: sum(samples, METRICS.functionInvocations.name) + apiRequests,
        gbSeconds: (sum(samples, `${METRICS.functionDuration.name}_sum`) + sum(samples, `${METRICS.apiLatency.name}_sum`)) * memory,
      },
      appsync: { requests: apiRequests, realtimeMessages: sum(samples, METRICS.realtimeDelivered.name) },
    },
  };
}

/** Scales counted usage to a month (730 h); storage stays as it is (it is a level, not a rate). */
export function projectMonth(counted: CountedUsage): Usage {
  const f = MONTH_SECONDS / counted.seconds;
  const u = counted.usage;
  return {
    dynamodb: { readUnits: u.dynamodb.readUnits * f, writeUnits: u.dynamodb.writeUnits * f, storageGb: u.dynamodb.storageGb },
    s3: { storageGb: u.s3.storageGb, puts: u.s3.puts * f, gets: u.s3.gets * f },
    cloudfront: { transferGb: u.cloudfront.transferGb * f, requests: u.cloudfront.requests * f },
    lambda: { invocations: u.lambda.invocations * f, gbSeconds: u.lambda.gbSeconds * f },
    appsync: { requests: u.appsync.requests * f, realtimeMessages: u.appsync.realtimeMessages * f },
  };
}
