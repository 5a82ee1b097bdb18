/**
 * Monitoring (seed: CloudWatch): the seed's dashboard rows and alarms, defined once as plain data
 * (`MONITORING`) and rendered here into a dashboard, alarms and an SNS topic. The same data is meant
 * to generate the embedded server's alarms, so it names metrics, statistics, periods and
 * thresholds, never constructs.
 *
 * Each alarm is evaluated per resource instance of its kind (the API, each table, each function,
 * the bucket, the dead-letter queue): a failing function is not averaged away by a busy one.
 */
import { CfnCondition, CfnParameter, Duration, Fn } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENTIRE_BUCKET_METRICS } from './media.ts';

/** What a metric or alarm is about; each kind has its CloudWatch dimensions. */
export type ResourceKind = 'api' | 'table' | 'function' | 'bucket' | 'queue';

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

export interface AlarmSpec {
  id: string;
  description: string;
  per: ResourceKind;
  value: AlarmValue;
  unit: 'ms' | 'count' | 'percent';
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  /** Alarm when the value is greater than this. */
  threshold: number;
}

export interface DashboardRowSpec {
  title: string;
  per: ResourceKind;
  metrics: MetricSpec[];
}

const PERIOD_SECONDS = 300;
const m = (namespace: string, metricName: string, statistic: string, label = metricName): MetricSpec => ({ namespace, metricName, statistic, label });
const appsync = (name: string, statistic: string, label?: string) => m('AWS/AppSync', name, statistic, label);
const dynamo = (name: string) => m('AWS/DynamoDB', name, 'Sum');
const fn = (name: string) => m('AWS/Lambda', name, 'Sum');
const s3 = (name: string) => m('AWS/S3', name, 'Sum');

/** The seed's dashboard and alarms (plus the counters dead-letter alarm this project adds). */
export const MONITORING = {
  dashboard: {
    name: 'BiiLive',
    rows: [
      {
        title: 'API requests and errors',
        per: 'api',
        // AppSync's `Requests` is per account and region; the API's own count is Latency's sample count.
        metrics: [appsync('Latency', 'SampleCount', 'Requests'), appsync('4XXError', 'Sum'), appsync('5XXError', 'Sum'), appsync('Latency', 'Average', 'Latency (ms)')],
      },
      {
        title: 'DynamoDB throttles',
        per: 'table',
        metrics: [{ ...dynamo('ThrottledRequests'), perOperation: true }, dynamo('ReadThrottleEvents'), dynamo('WriteThrottleEvents')],
      },
      { title: 'Function invocations and errors', per: 'function', metrics: [fn('Invocations'), fn('Errors'), fn('Throttles')] },
      { title: 'Media GET/PUT requests', per: 'bucket', metrics: [s3('GetRequests'), s3('PutRequests'), s3('4xxErrors'), s3('5xxErrors')] },
    ] satisfies DashboardRowSpec[],
  },
  alarms: [
    {
      id: 'ApiLatency',
      description: 'API latency above 1 s',
      per: 'api',
      value: { metric: appsync('Latency', 'Average') },
      unit: 'ms',
      periodSeconds: PERIOD_SECONDS,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 1000,
    },
    {
      // Every throttled request counts at least one throttle event, on the table or on the index
      // it read; ThrottledRequests itself is reported per operation (graphed, too many to alarm on).
      id: 'DynamoDbThrottles',
      description: 'DynamoDB requests throttled',
      per: 'table',
      value: { sum: [dynamo('ReadThrottleEvents'), dynamo('WriteThrottleEvents')], withIndexes: true },
      unit: 'count',
      periodSeconds: PERIOD_SECONDS,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 0,
    },
    {
      id: 'FunctionErrors',
      description: 'Function errors above 1 % of invocations',
      per: 'function',
      value: { percent: { part: [fn('Errors')], of: fn('Invocations') } },
      unit: 'percent',
      periodSeconds: PERIOD_SECONDS,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
    },
    {
      id: 'MediaErrors',
      description: 'Media requests answered 4xx/5xx above 5 % of requests',
      per: 'bucket',
      value: { percent: { part: [s3('4xxErrors'), s3('5xxErrors')], of: s3('AllRequests') } },
      unit: 'percent',
      periodSeconds: PERIOD_SECONDS,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: 5,
    },
    {
      id: 'CountersDeadLetters',
      description: 'Follow-counter batches given up on (run `npx biilive doctor counters --fix`)',
      per: 'queue',
      value: { metric: m('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum') },
      unit: 'count',
      periodSeconds: PERIOD_SECONDS,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 0,
    },
  ] satisfies AlarmSpec[],
} as const;

/** CloudWatch alarms reference at most this many metrics. */
const MAX_ALARM_METRICS = 10;

/** One monitored resource: a display name and its CloudWatch dimensions. */
export interface Monitored {
  name: string;
  dimensions: Record<string, string>;
  /** Tables: global secondary index names (their throttle events carry GlobalSecondaryIndexName). */
  indexes?: string[];
}

export interface MonitoringProps {
  resources: Record<ResourceKind, Monitored[]>;
  /** Default of the AlarmEmail parameter ('' = no subscription until one is given). */
  alarmEmail: string;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = this.alarmTopic(props.alarmEmail);
    const action = new actions.SnsAction(this.topic);

    for (const spec of MONITORING.alarms as readonly AlarmSpec[]) {
      for (const resource of props.resources[spec.per]) {
        const alarm = new cloudwatch.Alarm(this, `${spec.id}${resource.name}`, {
          alarmDescription: `${spec.description}: ${resource.name} (${spec.unit} > ${spec.threshold})`,
          metric: alarmMetric(spec, resource),
          threshold: spec.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        this.alarms.push(alarm);
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: MONITORING.dashboard.name });
    for (const row of MONITORING.dashboard.rows as readonly DashboardRowSpec[]) {
      this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `## ${row.title}`, width: 24, height: 1 }));
      this.dashboard.addWidgets(...rowWidgets(row, props.resources[row.per]));
    }
  }

  /**
   * SNS topic for alarm notifications: encrypted with a customer-managed key that CloudWatch may
   * use (alarms cannot publish to a topic under the AWS-managed SNS key), TLS only. The e-mail
   * subscription address is the AlarmEmail parameter.
   */
  private alarmTopic(defaultEmail: string): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', { description: 'BiiLive alarm topic', enableKeyRotation: true });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'BiiLive alarms', masterKey: key, enforceSSL: true });
    const email = new CfnParameter(this, 'AlarmEmail', {
      type: 'String',
      default: defaultEmail,
      description: 'E-mail address that receives the alarms (empty: none)',
      allowedPattern: '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
    });
    email.overrideLogicalId('AlarmEmail');
    const hasEmail = new CfnCondition(this, 'HasAlarmEmail', { expression: Fn.conditionNot(Fn.conditionEquals(email.valueAsString, '')) });
    // A plain Subscription (not EmailSubscription) so it can carry the condition.
    const subscription = new sns.Subscription(this, 'AlarmEmailSubscription', {
      topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: email.valueAsString,
    });
    (subscription.node.defaultChild as sns.CfnSubscription).cfnOptions.condition = hasEmail;
    return topic;
  }
}

function metricOf(spec: MetricSpec, dimensions: Record<string, string>, label = spec.label): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: spec.namespace,
    metricName: spec.metricName,
    statistic: spec.statistic,
    dimensionsMap: dimensions,
    period: Duration.seconds(PERIOD_SECONDS),
    label,
  });
}

/** The alarm's metric or metric-math expression for one resource. */
export function alarmMetric(spec: AlarmSpec, resource: Monitored): cloudwatch.IMetric {
  const period = Duration.seconds(spec.periodSeconds);
  const value = spec.value;
  if ('metric' in value) return metricOf(value.metric, resource.dimensions).with({ period });
  const using: Record<string, cloudwatch.IMetric> = {};
  const add = (metric: cloudwatch.IMetric) => {
    const name = `m${Object.keys(using).length + 1}`;
    using[name] = metric;
    return `FILL(${name}, 0)`;
  };
  let expression: string;
  if ('sum' in value) {
    const terms: string[] = [];
    for (const s of value.sum) {
      terms.push(add(metricOf(s, resource.dimensions).with({ period })));
      if (!value.withIndexes) continue;
      for (const index of resource.indexes ?? []) {
        terms.push(add(metricOf(s, { ...resource.dimensions, GlobalSecondaryIndexName: index }).with({ period })));
      }
    }
    expression = terms.join(' + ');
  } else {
    const part = value.percent.part.map((s) => add(metricOf(s, resource.dimensions).with({ period }))).join(' + ');
    const of = add(metricOf(value.percent.of, resource.dimensions).with({ period }));
    expression = `IF(${of} > 0, 100 * (${part}) / ${of}, 0)`;
  }
  if (Object.keys(using).length > MAX_ALARM_METRICS) {
    throw new Error(`alarm ${spec.id} on ${resource.name} needs ${Object.keys(using).length} metrics; CloudWatch allows ${MAX_ALARM_METRICS}`);
  }
  return new cloudwatch.MathExpression({ expression, usingMetrics: using, period, label: spec.description });
}

/** A row: one graph per metric with a line per resource, or one graph when there is one resource. */
function rowWidgets(row: DashboardRowSpec, resources: Monitored[]): cloudwatch.IWidget[] {
  if (resources.length === 1) {
    const [r] = resources;
    return [new cloudwatch.GraphWidget({ title: `${row.title}: ${r.name}`, left: row.metrics.map((s) => lineOf(s, [r])[0]), width: 24 })];
  }
  const width = Math.max(6, Math.floor(24 / row.metrics.length));
  return row.metrics.map((s) => new cloudwatch.GraphWidget({ title: s.label, left: lineOf(s, resources), width }));
}

function lineOf(spec: MetricSpec, resources: Monitored[]): cloudwatch.IMetric[] {
  if (!spec.perOperation) return resources.map((r) => metricOf(spec, r.dimensions, resources.length === 1 ? spec.label : `${r.name}`));
  // Summed over operations: a SEARCH per resource, then SUM (search expressions graph, never alarm).
  return resources.map((r) => {
    const filters = Object.entries(r.dimensions).map(([k, v]) => `${k}="${v}"`).join(' ');
    const dims = [...Object.keys(r.dimensions), 'Operation'].join(',');
    return new cloudwatch.MathExpression({
      expression: `SUM(SEARCH('{${spec.namespace},${dims}} MetricName="${spec.metricName}" ${filters}', '${spec.statistic}', ${PERIOD_SECONDS}))`,
      label: resources.length === 1 ? spec.label : `${r.name}`,
      period: Duration.seconds(PERIOD_SECONDS),
    });
  });
}

/** CloudWatch dimensions of the S3 request metrics (the bucket's EntireBucket filter). */
export const bucketDimensions = (bucketName: string) => ({ BucketName: bucketName, FilterId: ENTIRE_BUCKET_METRICS });
