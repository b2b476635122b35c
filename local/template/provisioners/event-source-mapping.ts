import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { TemplateResolutionError } from '../intrinsics.js';
import type {
  KinesisEventSource,
  OnFailureDestination,
  RabbitMqEventSource,
  SqsEventSource,
} from '../model.js';
import { arnOf, fakeUuid, functionNameIn, resourceOf } from './names.js';
import {
  isOneOf,
  isRecord,
  optionalBoolean,
  optionalNumber,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  requiredText,
  resolveProperty,
  textListOf,
  textOf,
} from './resource-scope.js';

/**
 * `AWS::Lambda::EventSourceMapping`: nothing to create; a mapping becomes what a poller needs to deliver its queue or
 * stream to its function as Lambda does (batching, partial batch responses, retries, on-failure destination).
 */

export async function provisionEventSourceMapping(scope: ResourceScope): Promise<Provisioned> {
  const id = fakeUuid(scope);
  const resource = resourceOf(scope, id, {
    Id: id,
    EventSourceMappingArn: arnOf(scope, 'lambda', `event-source-mapping:${id}`),
  });
  const sourceArn = requiredText(scope, 'EventSourceArn');
  const common = {
    logicalId: scope.logicalId,
    functionName: functionNameIn(requiredText(scope, 'FunctionName')),
    maximumBatchingWindowSeconds: optionalNumber(scope, 'MaximumBatchingWindowInSeconds') ?? 0,
    reportBatchItemFailures: textListOf(scope, 'FunctionResponseTypes').includes('ReportBatchItemFailures'),
    enabled: optionalBoolean(scope, 'Enabled') ?? true,
  };
  warnAboutIgnoredOptions(scope);
  const service = sourceArn.split(':')[2];
  if (service === 'sqs') return { resource, eventSource: await sqsEventSource(scope, sourceArn, common) };
  if (service === 'kinesis')
    return { resource, eventSource: await kinesisEventSource(scope, sourceArn, common) };
  if (service === 'mq') return { resource, eventSource: rabbitMqEventSource(scope, sourceArn, common) };
  scope.warn(`local cloud: not provided locally: event source ${sourceArn} (${scope.logicalId})`);
  return { resource };
}

type CommonOptions = Pick<
  SqsEventSource,
  'logicalId' | 'functionName' | 'maximumBatchingWindowSeconds' | 'reportBatchItemFailures' | 'enabled'
>;

async function sqsEventSource(
  scope: ResourceScope,
  queueArn: string,
  common: CommonOptions,
): Promise<SqsEventSource> {
  const queueUrl = await queueUrlOf(scope, queueArn);
  return {
    kind: 'sqs',
    ...common,
    queueUrl,
    queueArn,
    fifo: queueArn.endsWith('.fifo'),
    batchSize: optionalNumber(scope, 'BatchSize') ?? 10,
    maximumConcurrency: scalingMaximumConcurrency(scope),
  };
}

/** `ScalingConfig.MaximumConcurrency` of an SQS mapping (2–1000 on AWS), if set. */
function scalingMaximumConcurrency(scope: ResourceScope): number | undefined {
  if (scope.properties.ScalingConfig === undefined) return undefined;
  const scaling = resolveProperty(scope, 'ScalingConfig');
  if (!isRecord(scaling) || scaling.MaximumConcurrency === undefined) return undefined;
  const path = `${propertyPath(scope, 'ScalingConfig')}.MaximumConcurrency`;
  const number = Number(textOf(scaling.MaximumConcurrency, path));
  if (!Number.isInteger(number) || number < 1) {
    throw new TemplateResolutionError(
      path,
      `expected a whole number, got ${String(scaling.MaximumConcurrency)}`,
    );
  }
  return number;
}

/**
 * An Amazon MQ mapping: one queue (`Queues`), the user of the `BASIC_AUTH` secret, the `VIRTUAL_HOST` (default
 * `/`). Lambda's defaults for Amazon MQ: batch size 100, batching window 500 ms.
 */
function rabbitMqEventSource(
  scope: ResourceScope,
  brokerArn: string,
  common: CommonOptions,
): RabbitMqEventSource {
  const queues = textListOf(scope, 'Queues');
  if (queues.length !== 1) {
    throw new TemplateResolutionError(
      propertyPath(scope, 'Queues'),
      'an Amazon MQ mapping takes exactly one queue',
    );
  }
  const access = resolveProperty(scope, 'SourceAccessConfigurations');
  const configurations = Array.isArray(access) ? access.filter(isRecord) : [];
  const uriOf = (type: string) =>
    configurations.find((configuration) => configuration.Type === type)?.URI as string | undefined;
  const secretArn = uriOf('BASIC_AUTH');
  if (secretArn === undefined) {
    throw new TemplateResolutionError(
      propertyPath(scope, 'SourceAccessConfigurations'),
      'an Amazon MQ mapping needs a BASIC_AUTH secret',
    );
  }
  const broker = Object.entries(scope.context.resources).find(
    ([, resource]) => resource.type === 'AWS::AmazonMQ::Broker' && resource.attributes.Arn === brokerArn,
  );
  if (broker === undefined) {
    throw new TemplateResolutionError(
      propertyPath(scope, 'EventSourceArn'),
      `no broker of this stack is ${brokerArn}`,
    );
  }
  return {
    kind: 'rabbitmq',
    ...common,
    brokerLogicalId: broker[0],
    brokerArn,
    queue: queues[0] as string,
    virtualHost: uriOf('VIRTUAL_HOST') ?? '/',
    secretArn,
    batchSize: optionalNumber(scope, 'BatchSize') ?? 100,
    maximumBatchingWindowSeconds: optionalNumber(scope, 'MaximumBatchingWindowInSeconds') ?? 0.5,
  };
}

const STARTING_POSITIONS = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const;

async function kinesisEventSource(
  scope: ResourceScope,
  streamArn: string,
  common: CommonOptions,
): Promise<KinesisEventSource> {
  const startingPosition = requiredText(scope, 'StartingPosition');
  if (!isOneOf(startingPosition, STARTING_POSITIONS)) {
    throw new TemplateResolutionError(
      propertyPath(scope, 'StartingPosition'),
      `expected one of ${STARTING_POSITIONS.join(', ')}, got ${startingPosition}`,
    );
  }
  const timestamp = optionalNumber(scope, 'StartingPositionTimestamp');
  const onFailure = await onFailureOf(scope);
  return {
    kind: 'kinesis',
    ...common,
    // `stream/<name>`, or `stream/<name>/consumer/<consumer>` for an enhanced fan-out consumer.
    streamName: streamArn.split(':stream/')[1]?.split('/')[0] ?? streamArn,
    streamArn,
    batchSize: optionalNumber(scope, 'BatchSize') ?? 100,
    startingPosition,
    ...(timestamp === undefined ? {} : { startingPositionTimestamp: new Date(timestamp * 1000) }),
    bisectBatchOnFunctionError: optionalBoolean(scope, 'BisectBatchOnFunctionError') ?? false,
    maximumRetryAttempts: optionalNumber(scope, 'MaximumRetryAttempts') ?? -1,
    maximumRecordAgeSeconds: optionalNumber(scope, 'MaximumRecordAgeInSeconds') ?? -1,
    ...(onFailure === undefined ? {} : { onFailure }),
  };
}

async function onFailureOf(scope: ResourceScope): Promise<OnFailureDestination | undefined> {
  const config = resolveProperty(scope, 'DestinationConfig');
  const onFailure = isRecord(config) ? config.OnFailure : undefined;
  const arn = isRecord(onFailure) ? onFailure.Destination : undefined;
  if (typeof arn !== 'string') return undefined;
  const service = arn.split(':')[2];
  if (service === 'sqs') return { type: 'sqs', arn, queueUrl: await queueUrlOf(scope, arn) };
  if (service === 'sns') return { type: 'sns', arn };
  scope.warn(`local cloud: not provided locally: on-failure destination ${arn} (${scope.logicalId})`);
  return undefined;
}

function warnAboutIgnoredOptions(scope: ResourceScope): void {
  const ignored = ['FilterCriteria', 'TumblingWindowInSeconds'].filter((name) => name in scope.properties);
  if (ignored.length > 0) {
    scope.warn(`local cloud: not applied locally: ${ignored.join(', ')} (${scope.logicalId})`);
  }
}

/** A queue of this stack by its ARN, else (a queue made elsewhere) asked of the emulator by name. */
export async function queueUrlOf(scope: ResourceScope, queueArn: string): Promise<string> {
  const provisioned = Object.values(scope.context.resources).find(
    (resource) => resource.type === 'AWS::SQS::Queue' && resource.attributes.Arn === queueArn,
  );
  if (provisioned !== undefined) return provisioned.ref;
  const queueName = queueArn.split(':').at(-1) ?? queueArn;
  const { QueueUrl: queueUrl } = await scope.clients.sqs.send(
    new GetQueueUrlCommand({ QueueName: queueName }),
  );
  if (queueUrl === undefined) throw new Error(`${scope.logicalId}: no queue ${queueArn}`);
  return queueUrl;
}
