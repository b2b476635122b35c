import { beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate } from './cfn-spec.js';
import {
  AWS_ID_DIMENSIONS,
  alarmsOf,
  alarmWatchesQueue,
  deadLetterQueuesOf,
  observabilityViolations,
  streamConsumersOf,
  TRACE_ACTIONS,
} from './observability.js';
import { packagedTemplate } from './package-template.js';
import {
  arnOf,
  getResource,
  isRecord,
  policyStatements,
  propertyAt,
  resourcesOfType,
  roleOf,
  roleStatements,
} from './template-queries.js';

const OPERATOR_TOPIC = 'OperatorAlarmsTopic';
const NOTIFY_OPERATORS = [{ Ref: OPERATOR_TOPIC }];

/** The statement every function's role inherits from the provider: X-Ray takes these actions on "*" only. */
const WRITE_TRACES = { Effect: 'Allow', Action: [...TRACE_ACTIONS], Resource: ['*'] };

interface ExpectedAlarm {
  logicalId: string;
  /** After `orderflow-<stage>-`. */
  name: string;
  namespace: string;
  metricName: string;
  dimensions: Array<{ Name: string; Value: unknown }>;
  statistic: string;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  threshold: number;
}

/** Any message in a dead-letter queue: the greatest number visible in a minute, above 0. */
const dlqAlarm = (logicalId: string, queue: string, name: string): ExpectedAlarm => ({
  logicalId,
  name,
  namespace: 'AWS/SQS',
  metricName: 'ApproximateNumberOfMessagesVisible',
  dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
  statistic: 'Maximum',
  period: 60,
  evaluationPeriods: 1,
  threshold: 0,
});

/** A Kinesis consumer more than 60 s behind its stream, three minutes in a row. */
const iteratorAgeAlarm = (fn: string, name: string): ExpectedAlarm => ({
  logicalId: `${fn}IteratorAgeAlarm`,
  name,
  namespace: 'AWS/Lambda',
  metricName: 'IteratorAge',
  dimensions: [{ Name: 'FunctionName', Value: { Ref: `${fn}LambdaFunction` } }],
  statistic: 'Maximum',
  period: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  threshold: 60_000,
});

/** The alarms on one metric each; all compare with GreaterThanThreshold and treat missing data as not breaching. */
const SINGLE_METRIC_ALARMS = (stage: string): ExpectedAlarm[] => [
  dlqAlarm('FulfillmentDlqAlarm', 'FulfillmentDlq', 'fulfillment-dlq-not-empty'),
  dlqAlarm('ReviewDlqAlarm', 'ReviewDlq', 'review-dlq-not-empty'),
  dlqAlarm(
    'FulfillmentSubscriptionDlqAlarm',
    'FulfillmentSubscriptionDlq',
    'fulfillment-subscription-dlq-not-empty',
  ),
  dlqAlarm('ReviewSubscriptionDlqAlarm', 'ReviewSubscriptionDlq', 'review-subscription-dlq-not-empty'),
  dlqAlarm('ActivityFailuresAlarm', 'ActivityFailuresQueue', 'activity-failures-not-empty'),
  dlqAlarm('ScanFailuresAlarm', 'ScanFailuresQueue', 'scan-failures-not-empty'),
  iteratorAgeAlarm('AggregateAnalytics', 'aggregate-analytics-iterator-age'),
  iteratorAgeAlarm('NotifyCustomer', 'notify-customer-iterator-age'),
  iteratorAgeAlarm('PublishLegacyStatus', 'publish-legacy-status-iterator-age'),
  {
    // Amazon MQ's per-queue metric of the ERP bridge's rejected queue: any message there, in 5 minutes.
    logicalId: 'LegacyOrdersRejectedAlarm',
    name: 'legacy-orders-rejected',
    namespace: 'AWS/AmazonMQ',
    metricName: 'MessageCount',
    dimensions: [
      { Name: 'Broker', Value: `orderflow-${stage}-legacy` },
      { Name: 'VirtualHost', Value: '/' },
      { Name: 'Queue', Value: 'legacy.orders.rejected' },
    ],
    statistic: 'Maximum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
  },
  {
    // What the redrive's Powertools Metrics writes: namespace orderflow, its default dimensions service and stage.
    logicalId: 'MessagesParkedAlarm',
    name: 'messages-parked',
    namespace: 'orderflow',
    metricName: 'MessagesParked',
    dimensions: [
      { Name: 'service', Value: 'orderflow' },
      { Name: 'stage', Value: stage },
    ],
    statistic: 'Sum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
  },
];

const HTTP_API_5XX_RATE = 'HttpApi5xxRateAlarm';

/** An HTTP API metric, summed over 5 minutes, for the whole API (every stage and route). */
const apiMetric = (id: string, metricName: string) => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/ApiGateway',
      MetricName: metricName,
      Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }],
    },
    Period: 300,
    Stat: 'Sum',
  },
  ReturnData: false,
});

interface Mutation {
  mutation: string;
  make: (copy: CfnTemplate) => void;
  /** A part of the violation the checker must name. */
  expected: string;
}

describe.each(['dev', 'local'] as const)('the %s stage template, observed', (stage) => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate(stage);
  });

  it('has no observability violation', () => {
    expect(observabilityViolations(template)).toEqual([]);
  });

  it('traces every function actively', () => {
    const modes = resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, lambda]) => [
      logicalId,
      propertyAt(lambda, ['TracingConfig', 'Mode']),
    ]);

    expect(modes).toHaveLength(13);
    expect(modes.filter(([, mode]) => mode !== 'Active')).toEqual([]);
  });

  it("lets every function's own role send its traces", () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const roles = functions.map(([, lambda]) => roleOf(lambda) ?? '');

    expect(new Set(roles).size).toBe(functions.length);
    for (const role of roles) {
      expect(roleStatements(template, role), role).toContainEqual(WRITE_TRACES);
    }
  });

  it('gives every function the metrics namespace, its stage and traces without responses', () => {
    for (const [logicalId, lambda] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect(propertyAt(lambda, ['Environment', 'Variables']), logicalId).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'orderflow',
        POWERTOOLS_METRICS_NAMESPACE: 'orderflow',
        ORDERFLOW_STAGE: stage,
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        // X-Ray is not emulated locally: a tracer there would only complain that it has no trace header.
        POWERTOOLS_TRACE_ENABLED: stage === 'local' ? 'false' : 'true',
      });
    }
  });

  it('declares exactly the alarms of the runbook', () => {
    const alarms = alarmsOf(template).map(({ logicalId }) => logicalId);

    expect(alarms.sort()).toEqual(
      [...SINGLE_METRIC_ALARMS(stage).map(({ logicalId }) => logicalId), HTTP_API_5XX_RATE].sort(),
    );
  });

  it.each(SINGLE_METRIC_ALARMS(stage))(
    '$logicalId: $metricName ($namespace) $statistic over $period s > $threshold',
    (expected) => {
      const alarm = getResource(template, expected.logicalId);

      expect(alarm.Properties).toEqual({
        AlarmName: `orderflow-${stage}-${expected.name}`,
        AlarmDescription: expect.any(String),
        Namespace: expected.namespace,
        MetricName: expected.metricName,
        Dimensions: expected.dimensions,
        Statistic: expected.statistic,
        Period: expected.period,
        EvaluationPeriods: expected.evaluationPeriods,
        ...(expected.datapointsToAlarm === undefined
          ? {}
          : { DatapointsToAlarm: expected.datapointsToAlarm }),
        Threshold: expected.threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: NOTIFY_OPERATORS,
        OKActions: NOTIFY_OPERATORS,
      });
    },
  );

  it('alarms when over 5 % of the HTTP API requests of 5 minutes answer 5xx, from 20 requests on', () => {
    const alarm = getResource(template, HTTP_API_5XX_RATE);

    expect(alarm.Properties).toEqual({
      AlarmName: `orderflow-${stage}-http-api-5xx-rate`,
      AlarmDescription: expect.any(String),
      Metrics: [
        apiMetric('errors', '5xx'),
        apiMetric('requests', 'Count'),
        {
          Id: 'rate',
          Label: expect.any(String),
          // Below 20 requests the rate is 0: one 503 among three requests pages nobody.
          Expression: 'IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: NOTIFY_OPERATORS,
      OKActions: NOTIFY_OPERATORS,
    });
  });

  it('tells the operator what each alarm means and what to do, within CloudWatch’s 1024 characters', () => {
    for (const { logicalId, alarm } of alarmsOf(template)) {
      const description = propertyAt(alarm, ['AlarmDescription']);

      expect(typeof description === 'string' && description.length, logicalId).toBeGreaterThan(200);
      expect(String(description).length, logicalId).toBeLessThanOrEqual(1024);
    }
  });

  it('watches every dead-letter queue its redrive policies and on-failure destinations name, with one alarm each', () => {
    // Act
    const deadLetterQueues = deadLetterQueuesOf(template);
    const watching = deadLetterQueues.map((queue) =>
      alarmsOf(template).filter((alarm) => alarmWatchesQueue(template, alarm, queue)),
    );

    // Assess
    expect(deadLetterQueues.sort()).toEqual(
      [
        'FulfillmentDlq',
        'ReviewDlq',
        'FulfillmentSubscriptionDlq',
        'ReviewSubscriptionDlq',
        'ActivityFailuresQueue',
      ].sort(),
    );
    expect(watching.map((alarms) => alarms.length)).toEqual(deadLetterQueues.map(() => 1));
  });

  it('watches the iterator age of every consumer of the activity stream', () => {
    expect(streamConsumersOf(template).sort()).toEqual([
      'AggregateAnalyticsLambdaFunction',
      'NotifyCustomerLambdaFunction',
      'PublishLegacyStatusLambdaFunction',
    ]);
  });

  it('names no metric dimension after an id: AWS’s ApiId only', () => {
    // Prepare
    const dimensions = alarmsOf(template).flatMap(({ metrics }) =>
      metrics.flatMap(({ dimensions }) => dimensions.map(({ name }) => String(name))),
    );

    // Act
    const ids = dimensions.filter((name) => /id$/i.test(name));

    // Assess
    expect(new Set(dimensions)).toEqual(
      new Set(['QueueName', 'FunctionName', 'ApiId', 'service', 'stage', 'Broker', 'VirtualHost', 'Queue']),
    );
    expect(ids.every((name) => AWS_ID_DIMENSIONS.has(name))).toBe(true);
  });

  it('sends every alarm to the operator topic, a standard topic encrypted with the stack’s key', () => {
    const topic = getResource(template, OPERATOR_TOPIC);

    expect(topic.Properties).toEqual({
      TopicName: `orderflow-${stage}-operator-alarms`,
      DisplayName: `orderflow ${stage} alarms`,
      KmsMasterKeyId: { Ref: 'OrderflowKey' },
    });
    for (const { logicalId, alarm } of alarmsOf(template)) {
      expect(propertyAt(alarm, ['AlarmActions']), logicalId).toEqual(NOTIFY_OPERATORS);
    }
  });

  it('lets CloudWatch publish to the operator topic for the alarms of this stack only', () => {
    // Prepare
    const alarmArns = `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:orderflow-${stage}-*`;

    // Act: the Allows of every resource policy that names the topic.
    const allows = policyStatements(template).filter(
      ({ type, statement }) =>
        type === 'AWS::SNS::TopicPolicy' &&
        statement.Effect === 'Allow' &&
        JSON.stringify(statement.Resource).includes(`"${OPERATOR_TOPIC}"`),
    );

    // Assess
    expect(allows.map(({ statement }) => statement)).toEqual([
      {
        Sid: 'CloudWatchPublishesAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['sns:Publish'],
        Resource: { Ref: OPERATOR_TOPIC },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': { 'Fn::Sub': alarmArns } },
        },
      },
    ]);
    // An alarm named otherwise would be refused by the topic, and no one would know.
    for (const { logicalId, alarm } of alarmsOf(template)) {
      expect(propertyAt(alarm, ['AlarmName']), logicalId).toMatch(
        new RegExp(`^orderflow-${stage}-[a-z0-9-]+$`),
      );
    }
  });

  it('outputs the operator topic’s ARN, to subscribe to', () => {
    expect(template.Outputs?.OperatorAlarmsTopicArn).toEqual({ Value: { Ref: OPERATOR_TOPIC } });
  });

  it('has no Condition or Fn::If the local cloud would refuse (hence no optional email subscription)', () => {
    const conditional = Object.entries(template.Resources).filter(
      ([, resource]) => resource.Condition !== undefined,
    );

    expect(template.Conditions).toBeUndefined();
    expect(conditional.map(([logicalId]) => logicalId)).toEqual([]);
    expect(JSON.stringify(template.Resources)).not.toContain('"Fn::If"');
  });
});

describe('the observability checker', () => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate('dev');
  });

  it.each<Mutation>([
    {
      mutation: 'a DLQ alarm removed',
      make: (copy) => {
        delete copy.Resources.FulfillmentDlqAlarm;
      },
      expected: 'FulfillmentDlq: dead-letter queue without an alarm',
    },
    {
      mutation: 'a new queue with a DLQ and no alarm',
      make: (copy) => {
        copy.Resources.ExtraDlq = { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } };
        copy.Resources.ExtraQueue = {
          Type: 'AWS::SQS::Queue',
          Properties: { FifoQueue: true, RedrivePolicy: { deadLetterTargetArn: arnOf('ExtraDlq') } },
        };
      },
      expected: 'ExtraDlq: dead-letter queue without an alarm',
    },
    {
      mutation: 'a DLQ alarm watching the wrong queue',
      make: (copy) =>
        setProperty(copy, 'ReviewSubscriptionDlqAlarm', 'Dimensions', [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': ['ReviewQueue', 'QueueName'] } },
        ]),
      expected: 'ReviewSubscriptionDlq: dead-letter queue without an alarm',
    },
    {
      mutation: 'a DLQ alarm on the queue ARN instead of its name',
      make: (copy) =>
        setProperty(copy, 'ActivityFailuresAlarm', 'Dimensions', [
          { Name: 'QueueName', Value: arnOf('ActivityFailuresQueue') },
        ]),
      expected: 'ActivityFailuresQueue: dead-letter queue without an alarm',
    },
    {
      mutation: 'a DLQ alarm that waits for 10 messages',
      make: (copy) => setProperty(copy, 'ReviewDlqAlarm', 'Threshold', 10),
      expected: 'ReviewDlq: dead-letter queue without an alarm',
    },
    {
      mutation: 'an iterator age alarm removed',
      make: (copy) => {
        delete copy.Resources.NotifyCustomerIteratorAgeAlarm;
      },
      expected: 'NotifyCustomerLambdaFunction: Kinesis consumer without an IteratorAge alarm',
    },
    {
      mutation: 'tracing off on a function',
      make: (copy) => setProperty(copy, 'GetOrderLambdaFunction', 'TracingConfig', { Mode: 'PassThrough' }),
      expected: 'GetOrderLambdaFunction: function not traced (TracingConfig.Mode is PassThrough, not Active)',
    },
    {
      mutation: 'no TracingConfig on a function',
      make: (copy) => {
        delete getResource(copy, 'RedriveDlqLambdaFunction').Properties?.TracingConfig;
      },
      expected: 'RedriveDlqLambdaFunction: function not traced',
    },
    {
      mutation: "the X-Ray statement gone from a function's role",
      make: (copy) => {
        const statements = inlineStatements(copy, 'ProcessOrderIamRoleLambdaExecution');
        statements.splice(statements.findIndex(isWriteTraces), 1);
      },
      expected:
        'ProcessOrderLambdaFunction: role ProcessOrderIamRoleLambdaExecution cannot send traces (no xray:PutTraceSegments, xray:PutTelemetryRecords on "*")',
    },
    {
      mutation: 'an alarm dimension orderId',
      make: (copy) =>
        setProperty(copy, 'MessagesParkedAlarm', 'Dimensions', [
          { Name: 'service', Value: 'orderflow' },
          { Name: 'stage', Value: 'dev' },
          { Name: 'orderId', Value: 'ord-1' },
        ]),
      expected: 'MessagesParkedAlarm: orderflow MessagesParked has a dimension named after an id ("orderId")',
    },
    {
      mutation: 'a dimension customer_id in a metric of a metric-math alarm',
      make: (copy) => {
        const metrics = propertyAt(getResource(copy, HTTP_API_5XX_RATE), ['Metrics']);
        const stat = Array.isArray(metrics) && isRecord(metrics[0]) ? metrics[0].MetricStat : undefined;
        const metric = isRecord(stat) ? stat.Metric : undefined;
        if (isRecord(metric) && Array.isArray(metric.Dimensions)) {
          metric.Dimensions.push({ Name: 'customer_id', Value: 'c-1' });
        }
      },
      expected: 'HttpApi5xxRateAlarm: AWS/ApiGateway 5xx has a dimension named after an id ("customer_id")',
    },
    {
      mutation: 'an alarm that notifies no one',
      make: (copy) => setProperty(copy, 'ReviewDlqAlarm', 'AlarmActions', []),
      expected: 'ReviewDlqAlarm: alarm notifies no topic of the stack',
    },
  ])('names $mutation', ({ make, expected }) => {
    const copy = structuredClone(template);

    make(copy);
    const violations = observabilityViolations(copy);

    expect(
      violations.some((violation) => violation.includes(expected)),
      violations.join('\n'),
    ).toBe(true);
    expect(observabilityViolations(template)).toEqual([]);
  });
});

type Statement = Record<string, unknown>;

function isWriteTraces(statement: Statement): boolean {
  return JSON.stringify(statement) === JSON.stringify(WRITE_TRACES);
}

/** The statements of a role's first inline policy, to change in a copy. */
function inlineStatements(template: CfnTemplate, logicalId: string): Statement[] {
  const [policy] = (getResource(template, logicalId).Properties?.Policies ?? []) as unknown[];
  const document = isRecord(policy) ? policy.PolicyDocument : undefined;
  const statements = isRecord(document) ? document.Statement : undefined;
  if (!Array.isArray(statements)) throw new Error(`${logicalId} has no inline policy`);
  return statements as Statement[];
}

function setProperty(template: CfnTemplate, logicalId: string, property: string, value: unknown): void {
  const resource = getResource(template, logicalId);
  resource.Properties = { ...resource.Properties, [property]: value };
}
