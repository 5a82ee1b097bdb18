/**
 * The Prometheus metrics every embedded and scaled-out server exports on `/metrics`, as plain
 * data: name, type, labels and the CloudWatch metric each stands for on AWS. runtime/metrics.ts
 * builds the prom-client instruments from this list, the monitoring definition (definition.ts)
 * refers to them by key, and docs/operations.md lists them (a test keeps it in step).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  name: string;
  type: MetricType;
  help: string;
  labels: readonly string[];
  /** Histogram buckets, in the metric's unit (seconds). */
  buckets?: readonly number[];
  /** What CloudWatch reports for the same thing on AWS (namespace, metric, dimensions), or why nothing. */
  cloudwatch: string;
  /** Registered by prom-client's default metrics, not by us. */
  builtin?: true;
}

/** The seed's functions as the server runs them in process (their Lambda names on AWS). */
export const MONITORED_FUNCTIONS = ['UpdateUserCounters', 'ProcessProfilePhoto', 'CalculateRankings', 'PostConfirmation'] as const;
export type MonitoredFunction = (typeof MONITORED_FUNCTIONS)[number];

/** Store operations by their DynamoDB names (the `operation` label and CloudWatch's Operation dimension). */
export const READ_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'Scan'] as const;
export const WRITE_OPERATIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'] as const;
export type StoreOperation = (typeof READ_OPERATIONS)[number] | (typeof WRITE_OPERATIONS)[number];

/** API error types AppSync would count as 5XXError (the server's fault); every other errorType is a 4XXError. */
export const SERVER_ERROR_TYPES = ['InternalFailure', 'ExecutionError'] as const;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const FUNCTION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 900];

export const METRICS = {
  apiRequests: {
    name: 'biilive_api_requests_total',
    type: 'counter',
    help: 'GraphQL requests by operation (root field; "multiple" for several) and auth mode',
    labels: ['operation', 'auth_mode'],
    cloudwatch: 'AWS/AppSync Latency SampleCount (GraphQLAPIId); per operation: Requests (GraphQLAPIId, Operation), enhanced metrics',
  },
  apiErrors: {
    name: 'biilive_api_errors_total',
    type: 'counter',
    help: 'GraphQL errors by operation, auth mode and errorType',
    labels: ['operation', 'auth_mode', 'error_type'],
    cloudwatch: 'AWS/AppSync 4XXError and 5XXError (GraphQLAPIId); InternalFailure and ExecutionError are the 5XX ones',
  },
  apiLatency: {
    name: 'biilive_api_request_duration_seconds',
    type: 'histogram',
    help: 'GraphQL request latency by operation and auth mode',
    labels: ['operation', 'auth_mode'],
    buckets: LATENCY_BUCKETS,
    cloudwatch: 'AWS/AppSync Latency (GraphQLAPIId), milliseconds',
  },
  identityRequests: {
    name: 'biilive_identity_requests_total',
    type: 'counter',
    help: 'Identity endpoint (Cognito user pool API) requests by action',
    labels: ['action'],
    cloudwatch: 'AWS/Cognito SignUpSuccesses, SignInSuccesses, TokenRefreshSuccesses (UserPool, UserPoolClient) for those actions; other actions have none',
  },
  identityErrors: {
    name: 'biilive_identity_errors_total',
    type: 'counter',
    help: 'Identity endpoint errors by action and Cognito exception name',
    labels: ['action', 'error_type'],
    cloudwatch: 'none (Cognito reports throttles, not errors: SignUpThrottles, SignInThrottles, TokenRefreshThrottles)',
  },
  identityLatency: {
    name: 'biilive_identity_request_duration_seconds',
    type: 'histogram',
    help: 'Identity endpoint latency by action',
    labels: ['action'],
    buckets: LATENCY_BUCKETS,
    cloudwatch: 'none (Cognito publishes no latency)',
  },
  storeOperations: {
    name: 'biilive_store_operations_total',
    type: 'counter',
    help: 'Store calls by table and DynamoDB operation',
    labels: ['table', 'operation'],
    cloudwatch: 'AWS/DynamoDB SuccessfulRequestLatency SampleCount (TableName, Operation)',
  },
  storeLatency: {
    name: 'biilive_store_operation_duration_seconds',
    type: 'histogram',
    help: 'Store call latency by table and operation (retries included)',
    labels: ['table', 'operation'],
    buckets: STORE_BUCKETS,
    cloudwatch: 'AWS/DynamoDB SuccessfulRequestLatency (TableName, Operation), milliseconds',
  },
  storeErrors: {
    name: 'biilive_store_errors_total',
    type: 'counter',
    help: 'Store calls that failed, by table, operation and kind (conditional, validation, conflict, system)',
    labels: ['table', 'operation', 'kind'],
    cloudwatch: 'AWS/DynamoDB ConditionalCheckFailedRequests, UserErrors, SystemErrors (TableName)',
  },
  storeThrottles: {
    name: 'biilive_store_throttles_total',
    type: 'counter',
    help: 'Throttled store attempts (retried with backoff) by table and operation',
    labels: ['table', 'operation'],
    cloudwatch: 'AWS/DynamoDB ThrottledRequests (TableName, Operation); ReadThrottleEvents, WriteThrottleEvents (TableName)',
  },
  storeConflicts: {
    name: 'biilive_store_transaction_conflicts_total',
    type: 'counter',
    help: 'Transaction items cancelled by a conflicting concurrent write, by table',
    labels: ['table'],
    cloudwatch: 'AWS/DynamoDB TransactionConflict (TableName)',
  },
  storeUnits: {
    name: 'biilive_store_request_units_total',
    type: 'counter',
    help: 'Estimated DynamoDB request units by table and kind (read, write): items <= 1 KB, 4 KB per read unit, transactions x2',
    labels: ['table', 'kind'],
    cloudwatch: 'AWS/DynamoDB ConsumedReadCapacityUnits, ConsumedWriteCapacityUnits (TableName)',
  },
  functionInvocations: {
    name: 'biilive_function_invocations_total',
    type: 'counter',
    help: 'Invocations of the in-process functions (a stream batch, one photo event, one rankings run, one confirmation)',
    labels: ['function'],
    cloudwatch: 'AWS/Lambda Invocations (FunctionName)',
  },
  functionErrors: {
    name: 'biilive_function_errors_total',
    type: 'counter',
    help: 'Invocations that failed (thrown), by function',
    labels: ['function'],
    cloudwatch: 'AWS/Lambda Errors (FunctionName)',
  },
  functionDuration: {
    name: 'biilive_function_duration_seconds',
    type: 'histogram',
    help: 'Invocation duration by function',
    labels: ['function'],
    buckets: FUNCTION_BUCKETS,
    cloudwatch: 'AWS/Lambda Duration (FunctionName), milliseconds',
  },
  functionIteratorAge: {
    name: 'biilive_function_iterator_age_seconds',
    type: 'gauge',
    help: 'Stream functions: age of the last record of the last batch (0 once caught up)',
    labels: ['function'],
    cloudwatch: 'AWS/Lambda IteratorAge (FunctionName), milliseconds',
  },
  mediaRequests: {
    name: 'biilive_media_requests_total',
    type: 'counter',
    help: 'Media requests by behaviour path (CDN paths, upload, download), method and status class',
    labels: ['behaviour', 'method', 'status'],
    cloudwatch: 'AWS/S3 GetRequests, PutRequests, 4xxErrors, 5xxErrors (BucketName, FilterId); AWS/CloudFront Requests, 4xxErrorRate, 5xxErrorRate',
  },
  mediaBytes: {
    name: 'biilive_media_bytes_sent_total',
    type: 'counter',
    help: 'Media response bytes by behaviour path',
    labels: ['behaviour'],
    cloudwatch: 'AWS/CloudFront BytesDownloaded (DistributionId); AWS/S3 BytesDownloaded',
  },
  photoFailures: {
    name: 'biilive_photo_processing_failures_total',
    type: 'counter',
    help: 'Uploads ProcessProfilePhoto refused (not an image, corrupt, too many pixels...) by reason',
    labels: ['reason'],
    cloudwatch: 'none (the function logs the reason; on AWS a metric filter on its log group)',
  },
  realtimeConnections: {
    name: 'biilive_realtime_connections',
    type: 'gauge',
    help: 'Open realtime WebSocket connections',
    labels: [],
    cloudwatch: 'AWS/AppSync ActiveConnections (GraphQLAPIId)',
  },
  realtimeSubscriptions: {
    name: 'biilive_realtime_subscriptions',
    type: 'gauge',
    help: 'Active subscriptions on this server',
    labels: [],
    cloudwatch: 'AWS/AppSync ActiveSubscriptions (GraphQLAPIId)',
  },
  realtimeDelivered: {
    name: 'biilive_realtime_messages_delivered_total',
    type: 'counter',
    help: 'Subscription data messages delivered, by subscription field',
    labels: ['field'],
    cloudwatch: 'AWS/AppSync PublishDataMessageSuccess (GraphQLAPIId)',
  },
  realtimeLatency: {
    name: 'biilive_realtime_delivery_seconds',
    type: 'histogram',
    help: 'From a mutation (or event) being published to its last subscriber frame being written',
    labels: [],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    cloudwatch: 'none (AppSync publishes no delivery latency)',
  },
  httpRequests: {
    name: 'biilive_http_requests_total',
    type: 'counter',
    help: 'HTTP requests by route and status class',
    labels: ['route', 'status'],
    cloudwatch: 'none (each AWS service counts its own requests)',
  },
  httpLatency: {
    name: 'biilive_http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request latency by route',
    labels: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    cloudwatch: 'none',
  },
  eventLoopLag: {
    name: 'nodejs_eventloop_lag_seconds',
    type: 'gauge',
    help: 'Node event-loop lag (prom-client default metrics; also _p50/_p90/_p99 and process/heap metrics)',
    labels: [],
    cloudwatch: 'none (Lambda has no event-loop metric)',
    builtin: true,
  },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;
