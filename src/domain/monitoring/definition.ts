/**
 * The seed's monitoring, defined once: four dashboard rows and the alarms (API latency above 1 s,
 * store throttling, function errors above 1 % of invocations, media 4xx/5xx), each with its
 * statistic, period, evaluation periods and threshold. Every line and alarm says what it is in
 * CloudWatch's terms (`cloudwatch`) and in the server's own Prometheus metrics (`local`), side
 * by side, so one entry feeds:
 * - the CDK dashboard and alarms (infra/constructs/monitoring.ts),
 * - the alarms the embedded and scaled-out server evaluates itself (runtime/alarms.ts over evaluate.ts),
 * - the Prometheus alerting rules and the Grafana dashboard (`biilive ops export`),
 * - the console's Overview graphs.
 * Plain data, no construct and no I/O.
 */
import { METRICS, READ_OPERATIONS, SERVER_ERROR_TYPES, WRITE_OPERATIONS, type MetricKey } from './metrics.ts';

/** What a metric or alarm is about; each kind has its CloudWatch dimensions and its Prometheus label. */
export type ResourceKind = 'api' | 'table' | 'function' | 'bucket' | 'queue';

/** The Prometheus label that tells instances of a kind apart; none = one instance per server. */
export const INSTANCE_LABEL: Record<ResourceKind, string | undefined> = {
  api: undefined,
  table: 'table',
  function: 'function',
  bucket: undefined,
  queue: undefined,
};

/** The instance name of a kind without a label. */
export const SINGLE_INSTANCE: Record<ResourceKind, string> = { api: 'api', table: 'table', function: 'function', bucket: 'media', queue: 'queue' };

// ---- CloudWatch side ---------------------------------------------------------------------------

export interface MetricSpec {
  namespace: string;
  metricName: string;
  statistic: string;
  label: string;
  /** Reported per operation too (DynamoDB ThrottledRequests): graphed with a SEARCH over it. */
  perOperation?: boolean;
}

export type AlarmValue =
  /** One metric as it is. */
  | { metric: MetricSpec }
  /** Sum of metrics, missing data as 0; `withIndexes`: also each global secondary index's. */
  | { sum: MetricSpec[]; withIndexes?: boolean }
  /** 100 * sum(part) / of, 0 when `of` is 0. */
  | { percent: { part: MetricSpec[]; of: MetricSpec } };

// ---- Prometheus side ---------------------------------------------------------------------------

/** Some series of one metric: `where` keeps only these label values, `whereNot` drops these. */
export interface Series {
  metric: MetricKey;
  where?: Readonly<Record<string, readonly string[]>>;
  whereNot?: Readonly<Record<string, readonly string[]>>;
}

/** A value over one period, per instance, from the server's own counters. */
export type LocalValue =
  /** How much a counter grew (CloudWatch Sum). */
  | { increase: Series }
  /** Histogram mean over the period times `scale` (CloudWatch Average); missing when nothing was observed. */
  | { mean: Series; scale: number }
  /** 100 * growth(part) / growth(of); 0 when `of` did not grow (as the CloudWatch expression). */
  | { percent: { part: Series; of: Series } }
  /** Largest value a gauge had at the period's samples (CloudWatch Maximum). */
  | { max: Series };

export type Unit = 'ms' | 'count' | 'percent' | 'seconds';

// ---- The definition ----------------------------------------------------------------------------

export interface LineSpec {
  label: string;
  unit: Unit;
  /** Absent: CloudWatch has no such metric (the line is local only). */
  cloudwatch?: MetricSpec;
  /** Absent: the server has no counterpart (the line is CloudWatch only). */
  local?: LocalValue;
}

export interface DashboardRowSpec {
  title: string;
  per: ResourceKind;
  lines: LineSpec[];
}

export type TreatMissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';

export interface AlarmSpec {
  id: string;
  description: string;
  per: ResourceKind;
  unit: Unit;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** Alarm when the value is greater than this. */
  threshold: number;
  treatMissingData: TreatMissingData;
  cloudwatch: AlarmValue;
  /** Absent: AWS only (`localNote` says why). */
  local?: LocalValue;
  localNote?: string;
}

export const PERIOD_SECONDS = 300;
const m = (namespace: string, metricName: string, statistic: string, label = metricName): MetricSpec => ({ namespace, metricName, statistic, label });
const appsync = (name: string, statistic: string, label?: string) => m('AWS/AppSync', name, statistic, label);
const dynamo = (name: string) => m('AWS/DynamoDB', name, 'Sum');
const fn = (name: string, statistic = 'Sum') => m('AWS/Lambda', name, statistic);
const s3 = (name: string) => m('AWS/S3', name, 'Sum');

const api5xx = { error_type: SERVER_ERROR_TYPES };
const mediaGets = { method: ['GET', 'HEAD'] };

const rows: DashboardRowSpec[] = [
  {
    title: 'API requests and errors',
    per: 'api',
    lines: [
      // AppSync's `Requests` is per account and region; the API's own count is Latency's sample count.
      { label: 'Requests', unit: 'count', cloudwatch: appsync('Latency', 'SampleCount', 'Requests'), local: { increase: { metric: 'apiRequests' } } },
      { label: '4XXError', unit: 'count', cloudwatch: appsync('4XXError', 'Sum'), local: { increase: { metric: 'apiErrors', whereNot: api5xx } } },
      { label: '5XXError', unit: 'count', cloudwatch: appsync('5XXError', 'Sum'), local: { increase: { metric: 'apiErrors', where: api5xx } } },
      { label: 'Latency (ms)', unit: 'ms', cloudwatch: appsync('Latency', 'Average', 'Latency (ms)'), local: { mean: { metric: 'apiLatency' }, scale: 1000 } },
    ],
  },
  {
    title: 'DynamoDB throttles',
    per: 'table',
    lines: [
      // The requests the throttles are out of: DynamoDB reports them per operation only.
      {
        label: 'Requests',
        unit: 'count',
        cloudwatch: { ...m('AWS/DynamoDB', 'SuccessfulRequestLatency', 'SampleCount', 'Requests'), perOperation: true },
        local: { increase: { metric: 'storeOperations' } },
      },
      { label: 'ThrottledRequests', unit: 'count', cloudwatch: { ...dynamo('ThrottledRequests'), perOperation: true }, local: { increase: { metric: 'storeThrottles' } } },
      {
        label: 'ReadThrottleEvents',
        unit: 'count',
        cloudwatch: dynamo('ReadThrottleEvents'),
        local: { increase: { metric: 'storeThrottles', where: { operation: READ_OPERATIONS } } },
      },
      {
        label: 'WriteThrottleEvents',
        unit: 'count',
        cloudwatch: dynamo('WriteThrottleEvents'),
        local: { increase: { metric: 'storeThrottles', where: { operation: WRITE_OPERATIONS } } },
      },
      { label: 'TransactionConflict', unit: 'count', cloudwatch: dynamo('TransactionConflict'), local: { increase: { metric: 'storeConflicts' } } },
    ],
  },
  {
    title: 'Function invocations and errors',
    per: 'function',
    lines: [
      { label: 'Invocations', unit: 'count', cloudwatch: fn('Invocations'), local: { increase: { metric: 'functionInvocations' } } },
      { label: 'Errors', unit: 'count', cloudwatch: fn('Errors'), local: { increase: { metric: 'functionErrors' } } },
      // The in-process functions have no concurrency limit: nothing throttles them.
      { label: 'Throttles', unit: 'count', cloudwatch: fn('Throttles') },
      { label: 'IteratorAge', unit: 'seconds', cloudwatch: fn('IteratorAge', 'Maximum'), local: { max: { metric: 'functionIteratorAge' } } },
    ],
  },
  {
    title: 'Media GET/PUT requests',
    per: 'bucket',
    lines: [
      { label: 'GetRequests', unit: 'count', cloudwatch: s3('GetRequests'), local: { increase: { metric: 'mediaRequests', where: mediaGets } } },
      { label: 'PutRequests', unit: 'count', cloudwatch: s3('PutRequests'), local: { increase: { metric: 'mediaRequests', where: { method: ['PUT'] } } } },
      { label: '4xxErrors', unit: 'count', cloudwatch: s3('4xxErrors'), local: { increase: { metric: 'mediaRequests', where: { status: ['4xx'] } } } },
      { label: '5xxErrors', unit: 'count', cloudwatch: s3('5xxErrors'), local: { increase: { metric: 'mediaRequests', where: { status: ['5xx'] } } } },
    ],
  },
];

const alarms: AlarmSpec[] = [
  {
    id: 'ApiLatency',
    description: 'API latency above 1 s',
    per: 'api',
    unit: 'ms',
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 1000,
    treatMissingData: 'notBreaching',
    cloudwatch: { metric: appsync('Latency', 'Average') },
    local: { mean: { metric: 'apiLatency' }, scale: 1000 },
  },
  {
    // Every throttled request counts at least one throttle event, on the table or on the index
    // it read; ThrottledRequests itself is reported per operation (graphed, too many to alarm on).
    id: 'DynamoDbThrottles',
    description: 'DynamoDB requests throttled',
    per: 'table',
    unit: 'count',
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 0,
    treatMissingData: 'notBreaching',
    cloudwatch: { sum: [dynamo('ReadThrottleEvents'), dynamo('WriteThrottleEvents')], withIndexes: true },
    local: { increase: { metric: 'storeThrottles' } },
  },
  {
    id: 'FunctionErrors',
    description: 'Function errors above 1 % of invocations',
    per: 'function',
    unit: 'percent',
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    treatMissingData: 'notBreaching',
    cloudwatch: { percent: { part: [fn('Errors')], of: fn('Invocations') } },
    local: { percent: { part: { metric: 'functionErrors' }, of: { metric: 'functionInvocations' } } },
  },
  {
    id: 'MediaErrors',
    description: 'Media requests answered 4xx/5xx above 5 % of requests',
    per: 'bucket',
    unit: 'percent',
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 5,
    treatMissingData: 'notBreaching',
    cloudwatch: { percent: { part: [s3('4xxErrors'), s3('5xxErrors')], of: s3('AllRequests') } },
    local: { percent: { part: { metric: 'mediaRequests', where: { status: ['4xx', '5xx'] } }, of: { metric: 'mediaRequests' } } },
  },
  {
    id: 'CountersDeadLetters',
    description: 'Follow-counter batches given up on (run `npx biilive doctor counters --fix`)',
    per: 'queue',
    unit: 'count',
    periodSeconds: PERIOD_SECONDS,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 0,
    treatMissingData: 'notBreaching',
    cloudwatch: { metric: m('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum') },
    localNote: 'AWS only: the in-process consumer never gives a batch up (it retries in place; see the IteratorAge line)',
  },
];

/** The seed's dashboard and alarms (plus the counters dead-letter alarm this project adds on AWS). */
export const MONITORING: { readonly dashboard: { readonly name: string; readonly rows: readonly DashboardRowSpec[] }; readonly alarms: readonly AlarmSpec[] } =
  {
    dashboard: { name: 'BiiLive', rows },
    alarms,
  };

/** The alarms the server evaluates itself (those with a local value). */
export const localAlarms = (): Array<AlarmSpec & { local: LocalValue }> => MONITORING.alarms.filter((a): a is AlarmSpec & { local: LocalValue } => a.local !== undefined);

/** Every metric a local value reads, with the suffixes a histogram mean needs. */
export function seriesOf(value: LocalValue): Series[] {
  if ('increase' in value) return [value.increase];
  if ('mean' in value) return [value.mean];
  if ('max' in value) return [value.max];
  return [value.percent.part, value.percent.of];
}

/** The Prometheus names a local value reads (histograms: `_sum` and `_count`). */
export function sampleNamesOf(value: LocalValue): string[] {
  if ('mean' in value) {
    const name = METRICS[value.mean.metric].name;
    return [`${name}_sum`, `${name}_count`];
  }
  return seriesOf(value).map((s) => METRICS[s.metric].name);
}
