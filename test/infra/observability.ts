import type { CfnResource, CfnTemplate } from './cfn-spec.js';
import {
  asList,
  eventSourceMappings,
  isRecord,
  propertyAt,
  referencedLogicalId,
  resourcesOfType,
  roleOf,
  roleStatements,
} from './template-queries.js';

/**
 * "A stack observed": what a template must keep so that traces and alarms cover it, checked without AWS. Each
 * violation is one line naming the resource at fault; an empty list is an observed template.
 *
 * - Every function traced actively (`TracingConfig.Mode: Active`), its role allowed to send the traces.
 * - Every dead-letter queue — the `RedrivePolicy` target of a queue or a subscription, the on-failure destination of
 *   an event source mapping — watched by an alarm on its visible messages above 0.
 * - Every function that consumes a Kinesis stream watched by an alarm on its `IteratorAge`.
 * - Every alarm notifying a topic of the stack when it goes to ALARM.
 * - No alarm metric with a dimension named after an id (`orderId`, `customerId`, `eventId`, `correlationId`): each
 *   value makes a metric of its own (one per order: cost without end, and an identifier in CloudWatch), and an alarm
 *   on one order's metric watches nothing. AWS's own dimensions that end in `Id` (`ApiId`) are allowed in `AWS/*`.
 */
export function observabilityViolations(template: CfnTemplate): string[] {
  return [
    ...untraced(template),
    ...unwatchedDeadLetterQueues(template),
    ...unwatchedStreamConsumers(template),
    ...silentAlarms(template),
    ...idDimensions(template),
  ];
}

/** What active tracing sends; neither action takes a resource. */
export const TRACE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/** The dimensions AWS defines whose names end in `Id`, as the `AWS/*` namespaces use them. */
export const AWS_ID_DIMENSIONS: ReadonlySet<string> = new Set(['ApiId']);

/** A dimension name that says it holds an identifier: `orderId`, `customer_id`, `ID`. */
const NAMED_AFTER_AN_ID = /id$/i;

export interface Dimension {
  name: unknown;
  value: unknown;
}

/** One metric an alarm reads: the alarm's own (`MetricName`…) or one of its `Metrics` (`MetricStat`). */
export interface AlarmMetric {
  namespace: unknown;
  metricName: unknown;
  dimensions: Dimension[];
  statistic: unknown;
  period: unknown;
}

export interface Alarm {
  logicalId: string;
  alarm: CfnResource;
  metrics: AlarmMetric[];
}

export function alarmsOf(template: CfnTemplate): Alarm[] {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([logicalId, alarm]) => ({
    logicalId,
    alarm,
    metrics: metricsOf(alarm),
  }));
}

/** The metrics of an alarm: its single metric, or each `MetricStat` of its `Metrics` (expressions read those). */
export function metricsOf(alarm: CfnResource): AlarmMetric[] {
  const single: AlarmMetric[] =
    propertyAt(alarm, ['MetricName']) === undefined
      ? []
      : [
          {
            namespace: propertyAt(alarm, ['Namespace']),
            metricName: propertyAt(alarm, ['MetricName']),
            dimensions: dimensionsOf(propertyAt(alarm, ['Dimensions'])),
            statistic: propertyAt(alarm, ['Statistic']) ?? propertyAt(alarm, ['ExtendedStatistic']),
            period: propertyAt(alarm, ['Period']),
          },
        ];
  const queried = asList(propertyAt(alarm, ['Metrics'])).flatMap((query) => {
    const stat = isRecord(query) ? query.MetricStat : undefined;
    const metric = isRecord(stat) ? stat.Metric : undefined;
    if (!isRecord(stat) || !isRecord(metric)) return [];
    return [
      {
        namespace: metric.Namespace,
        metricName: metric.MetricName,
        dimensions: dimensionsOf(metric.Dimensions),
        statistic: stat.Stat,
        period: stat.Period,
      },
    ];
  });
  return [...single, ...queried];
}

function dimensionsOf(value: unknown): Dimension[] {
  return asList(value).map((dimension) =>
    isRecord(dimension)
      ? { name: dimension.Name, value: dimension.Value }
      : { name: undefined, value: undefined },
  );
}

/**
 * The dead-letter queues of a template, read from the wiring rather than from names: the targets of queues' and
 * subscriptions' `RedrivePolicy.deadLetterTargetArn`, and the queues that are `DestinationConfig.OnFailure` of event
 * source mappings. Each once, in template order.
 */
export function deadLetterQueuesOf(template: CfnTemplate): string[] {
  const found = new Set<string>();
  const add = (logicalId: string | undefined) => {
    if (logicalId !== undefined && template.Resources[logicalId]?.Type === 'AWS::SQS::Queue')
      found.add(logicalId);
  };
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::SQS::Queue' || resource.Type === 'AWS::SNS::Subscription') {
      add(referencedLogicalId(propertyAt(resource, ['RedrivePolicy', 'deadLetterTargetArn'])));
    }
  }
  for (const { onFailure } of eventSourceMappings(template)) add(onFailure);
  return [...found];
}

/** The functions (logical ids) that an event source mapping feeds from a Kinesis stream of the template. */
export function streamConsumersOf(template: CfnTemplate): string[] {
  const consumers = eventSourceMappings(template)
    .filter(
      ({ source }) => source !== undefined && template.Resources[source]?.Type === 'AWS::Kinesis::Stream',
    )
    .flatMap(({ target }) => (target === undefined ? [] : [target]));
  return [...new Set(consumers)];
}

function untraced(template: CfnTemplate): string[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([logicalId, lambda]) => {
    const problems: string[] = [];
    const mode = propertyAt(lambda, ['TracingConfig', 'Mode']);
    if (mode !== 'Active') {
      problems.push(`${logicalId}: function not traced (TracingConfig.Mode is ${String(mode)}, not Active)`);
    }
    const role = roleOf(lambda);
    const sendable = new Set(
      (role === undefined ? [] : roleStatements(template, role))
        .filter(({ Effect, Resource }) => Effect === 'Allow' && asList(Resource).includes('*'))
        .flatMap(({ Action }) => asList(Action)),
    );
    const missing = TRACE_ACTIONS.filter((action) => !sendable.has(action));
    if (missing.length > 0) {
      problems.push(
        `${logicalId}: role ${String(role)} cannot send traces (no ${missing.join(', ')} on "*")`,
      );
    }
    return problems;
  });
}

/** Whether an alarm fires on any message of a queue: its visible messages (`QueueName`) above 0. */
export function alarmWatchesQueue(template: CfnTemplate, { alarm, metrics }: Alarm, queue: string): boolean {
  const queueName = propertyAt(template.Resources[queue] ?? { Type: '' }, ['QueueName']);
  return (
    propertyAt(alarm, ['Threshold']) === 0 &&
    propertyAt(alarm, ['ComparisonOperator']) === 'GreaterThanThreshold' &&
    metrics.some(
      ({ namespace, metricName, dimensions }) =>
        namespace === 'AWS/SQS' &&
        metricName === 'ApproximateNumberOfMessagesVisible' &&
        dimensions.length === 1 &&
        dimensions.every(
          ({ name, value }) =>
            name === 'QueueName' &&
            (isGetAtt(value, queue, 'QueueName') || (value === queueName && value !== undefined)),
        ),
    )
  );
}

function unwatchedDeadLetterQueues(template: CfnTemplate): string[] {
  const alarms = alarmsOf(template);
  return deadLetterQueuesOf(template)
    .filter((queue) => !alarms.some((alarm) => alarmWatchesQueue(template, alarm, queue)))
    .map(
      (queue) =>
        `${queue}: dead-letter queue without an alarm on any visible message (ApproximateNumberOfMessagesVisible > 0)`,
    );
}

function watchesIteratorAge(template: CfnTemplate, { metrics }: Alarm, consumer: string): boolean {
  const functionName = propertyAt(template.Resources[consumer] ?? { Type: '' }, ['FunctionName']);
  return metrics.some(
    ({ namespace, metricName, dimensions }) =>
      namespace === 'AWS/Lambda' &&
      metricName === 'IteratorAge' &&
      dimensions.length === 1 &&
      dimensions.every(
        ({ name, value }) =>
          name === 'FunctionName' &&
          (isRef(value, consumer) || (value === functionName && value !== undefined)),
      ),
  );
}

function unwatchedStreamConsumers(template: CfnTemplate): string[] {
  const alarms = alarmsOf(template);
  return streamConsumersOf(template)
    .filter((consumer) => !alarms.some((alarm) => watchesIteratorAge(template, alarm, consumer)))
    .map((consumer) => `${consumer}: Kinesis consumer without an IteratorAge alarm`);
}

function silentAlarms(template: CfnTemplate): string[] {
  return alarmsOf(template)
    .filter(
      ({ alarm }) =>
        !asList(propertyAt(alarm, ['AlarmActions'])).some((action) =>
          resourcesOfType(template, 'AWS::SNS::Topic').some(
            ([topic]) => isRef(action, topic) || isGetAtt(action, topic, 'TopicArn'),
          ),
        ),
    )
    .map(({ logicalId }) => `${logicalId}: alarm notifies no topic of the stack (AlarmActions)`);
}

function idDimensions(template: CfnTemplate): string[] {
  return alarmsOf(template).flatMap(({ logicalId, metrics }) =>
    metrics.flatMap(({ namespace, metricName, dimensions }) =>
      dimensions
        .filter(({ name }) => typeof name === 'string' && NAMED_AFTER_AN_ID.test(name))
        .filter(
          ({ name }) =>
            !(
              typeof namespace === 'string' &&
              namespace.startsWith('AWS/') &&
              AWS_ID_DIMENSIONS.has(String(name))
            ),
        )
        .map(
          ({ name }) =>
            `${logicalId}: ${String(namespace)} ${String(metricName)} has a dimension named after an id (${JSON.stringify(name)})`,
        ),
    ),
  );
}

function isRef(value: unknown, logicalId: string): boolean {
  return isRecord(value) && value.Ref === logicalId;
}

function isGetAtt(value: unknown, logicalId: string, attribute: string): boolean {
  const getAtt = isRecord(value) ? value['Fn::GetAtt'] : undefined;
  return (
    (Array.isArray(getAtt) && getAtt[0] === logicalId && getAtt[1] === attribute) ||
    getAtt === `${logicalId}.${attribute}`
  );
}
