/**
 * Monitoring (seed: CloudWatch): the seed's dashboard rows and alarms, defined once as plain data
 * in src/domain/monitoring/definition.ts (which also feeds the embedded server's own alarms, the
 * Prometheus rules and the Grafana dashboard) and rendered here into a dashboard, alarms and an
 * SNS topic, from each entry's CloudWatch side.
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
import {
  MONITORING,
  PERIOD_SECONDS,
  type AlarmSpec,
  type DashboardRowSpec,
  type MetricSpec,
  type ResourceKind,
  type TreatMissingData,
} from '../../src/domain/monitoring/definition.ts';

const TREAT_MISSING: Record<TreatMissingData, cloudwatch.TreatMissingData> = {
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};

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

    for (const spec of MONITORING.alarms) {
      for (const resource of props.resources[spec.per]) {
        const alarm = new cloudwatch.Alarm(this, `${spec.id}${resource.name}`, {
          alarmDescription: `${spec.description}: ${resource.name} (${spec.unit} > ${spec.threshold})`,
          metric: alarmMetric(spec, resource),
          threshold: spec.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm,
          treatMissingData: TREAT_MISSING[spec.treatMissingData],
        });
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        this.alarms.push(alarm);
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: MONITORING.dashboard.name });
    for (const row of MONITORING.dashboard.rows) {
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
  const value = spec.cloudwatch;
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
  const metrics = cloudwatchMetrics(row);
  if (resources.length === 1) {
    const [r] = resources;
    return [new cloudwatch.GraphWidget({ title: `${row.title}: ${r.name}`, left: metrics.map((s) => lineOf(s, [r])[0]), width: 24 })];
  }
  const width = Math.max(6, Math.floor(24 / metrics.length));
  return metrics.map((s) => new cloudwatch.GraphWidget({ title: s.label, left: lineOf(s, resources), width }));
}

/** The row's lines CloudWatch has (the local-only ones are left out). */
export const cloudwatchMetrics = (row: DashboardRowSpec): MetricSpec[] => row.lines.flatMap((l) => (l.cloudwatch ? [l.cloudwatch] : []));

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
