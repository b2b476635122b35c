import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  LocalSecondaryIndex,
  ProvisionedThroughput,
  StreamViewType,
} from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { LocalClients } from '../aws-clients.js';
import type { ResolutionContext } from './intrinsics.js';
import { resolveString, resolveValue, TemplateResolutionError } from './intrinsics.js';
import type {
  EventSource,
  KinesisEventSource,
  LocalFunction,
  LocalResource,
  LocalRoute,
  OnFailureDestination,
  SqsEventSource,
} from './model.js';

/**
 * How each CloudFormation resource type becomes local: a provisioner per type creates it in its emulator (or
 * only names it, for types with no local behaviour) and says what `Ref` and `Fn::GetAtt` resolve to.
 */

export type ProvisioningClients = Pick<LocalClients, 'sqs' | 'sns' | 'dynamodb' | 'kinesis'>;

/** The Lambda function an HTTP API integration invokes. */
export interface IntegrationTarget {
  functionName: string;
  payloadFormatVersion: string;
}

/** One resource being provisioned: who it is, what is already there, and where to report. */
export interface ResourceScope {
  logicalId: string;
  type: string;
  /** The resource's `Properties`, unresolved. */
  properties: Readonly<Record<string, unknown>>;
  clients: ProvisioningClients;
  /** Pseudo parameters and every resource provisioned before this one. */
  context: ResolutionContext;
  /** HTTP API integrations provisioned so far, by their `Ref`. */
  integrations: ReadonlyMap<string, IntegrationTarget>;
  warn(message: string): void;
}

/** What a provisioner made: the resource, and what it adds to the stack's functions, routes or event sources. */
export interface Provisioned {
  resource: LocalResource;
  function?: LocalFunction;
  route?: LocalRoute;
  eventSource?: EventSource;
  integration?: IntegrationTarget;
}

export type Provisioner = (scope: ResourceScope) => Promise<Provisioned>;

/** Waiters poll at once, then every second or two; dynalite and kinesalite are configured with no delay. */
const WAIT = { maxWaitTime: 60, minDelay: 1, maxDelay: 2 };

// ---------------------------------------------------------------------------------------------------------------
// Resources that exist in an emulator

async function provisionTable(scope: ResourceScope): Promise<Provisioned> {
  const tableName = optionalText(scope, 'TableName') ?? generateName(scope, { maxLength: 255 });
  const payPerRequest = optionalText(scope, 'BillingMode') === 'PAY_PER_REQUEST';
  const streamViewType = streamViewTypeOf(scope);
  // SSESpecification, PointInTimeRecoverySpecification and TimeToLiveSpecification: dynalite has none of them.
  const input: CreateTableCommandInput = {
    TableName: tableName,
    KeySchema: structureOf<KeySchemaElement[]>(scope, 'KeySchema'),
    AttributeDefinitions: structureOf<AttributeDefinition[]>(scope, 'AttributeDefinitions'),
    BillingMode: payPerRequest ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    ProvisionedThroughput: payPerRequest
      ? undefined
      : throughputOf(scope.properties, scope, 'ProvisionedThroughput'),
    GlobalSecondaryIndexes: indexesOf<GlobalSecondaryIndex>(scope, 'GlobalSecondaryIndexes', payPerRequest),
    LocalSecondaryIndexes: indexesOf<LocalSecondaryIndex>(scope, 'LocalSecondaryIndexes', true),
    // dynalite accepts the specification and ignores it: it has no streams.
    StreamSpecification: streamViewType ? { StreamEnabled: true, StreamViewType: streamViewType } : undefined,
  };
  await createUnlessExists(() => scope.clients.dynamodb.send(new CreateTableCommand(input)));
  await waitUntilTableExists({ client: scope.clients.dynamodb, ...WAIT }, { TableName: tableName });
  const arn = arnOf(scope, 'dynamodb', `table/${tableName}`);
  const attributes: Record<string, string> = { Arn: arn };
  // dynalite has no streams: the ARN only lets references to the stream resolve.
  if (streamViewType) attributes.StreamArn = `${arn}/stream/1970-01-01T00:00:00.000`;
  return { resource: resourceOf(scope, tableName, attributes) };
}

async function provisionTopic(scope: ResourceScope): Promise<Provisioned> {
  const fifo = optionalBoolean(scope, 'FifoTopic') === true;
  const name =
    optionalText(scope, 'TopicName') ?? generateName(scope, { maxLength: 256, suffix: fifo ? '.fifo' : '' });
  const attributes = {
    ...(fifo ? { FifoTopic: 'true' } : {}),
    ...attributesOf(scope, ['ContentBasedDeduplication', 'DisplayName', 'KmsMasterKeyId']),
  };
  const { TopicArn: topicArn } = await scope.clients.sns.send(
    new CreateTopicCommand({ Name: name, Attributes: attributes }),
  );
  if (topicArn === undefined) throw new Error(`${scope.logicalId}: CreateTopic returned no TopicArn`);
  for (const [index, subscription] of inlineSubscriptionsOf(scope).entries()) {
    await subscribe(scope, { topicArn, ...subscription, attributes: {} }, `Subscription[${index}]`);
  }
  return { resource: resourceOf(scope, topicArn, { TopicArn: topicArn, TopicName: name }) };
}

const QUEUE_ATTRIBUTES = [
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoThroughputLimit',
  'KmsDataKeyReusePeriodSeconds',
  'KmsMasterKeyId',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'RedriveAllowPolicy',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
];

async function provisionQueue(scope: ResourceScope): Promise<Provisioned> {
  const fifo = optionalBoolean(scope, 'FifoQueue') === true;
  const name =
    optionalText(scope, 'QueueName') ?? generateName(scope, { maxLength: 80, suffix: fifo ? '.fifo' : '' });
  // SQS refuses `FifoQueue: false`: a standard queue simply leaves it out.
  const attributes = { ...(fifo ? { FifoQueue: 'true' } : {}), ...attributesOf(scope, QUEUE_ATTRIBUTES) };
  const { sqs } = scope.clients;
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (queueUrl === undefined) throw new Error(`${scope.logicalId}: CreateQueue returned no QueueUrl`);
  const { Attributes: created } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = created?.QueueArn ?? arnOf(scope, 'sqs', name);
  return { resource: resourceOf(scope, queueUrl, { Arn: arn, QueueName: name, QueueUrl: queueUrl }) };
}

async function provisionSubscription(scope: ResourceScope): Promise<Provisioned> {
  const subscription = {
    topicArn: requiredText(scope, 'TopicArn'),
    protocol: requiredText(scope, 'Protocol'),
    endpoint: requiredText(scope, 'Endpoint'),
    attributes: attributesOf(scope, [
      'FilterPolicy',
      'FilterPolicyScope',
      'RawMessageDelivery',
      'RedrivePolicy',
    ]),
  };
  const arn = await subscribe(scope, subscription, 'Properties');
  return { resource: resourceOf(scope, arn, { Arn: arn }) };
}

interface Subscription {
  topicArn: string;
  protocol: string;
  endpoint: string;
  attributes: Record<string, string>;
}

/** Subscribes an SQS queue; the local cloud delivers nothing else, so other protocols only get a warning. */
async function subscribe(scope: ResourceScope, subscription: Subscription, where: string): Promise<string> {
  const { topicArn, protocol, endpoint, attributes } = subscription;
  if (protocol !== 'sqs') {
    scope.warn(
      `local cloud: not delivered locally: SNS subscription with protocol ${protocol} (${scope.logicalId} ${where})`,
    );
    return `${topicArn}:${fakeUuid(scope, where)}`;
  }
  const { SubscriptionArn: arn } = await scope.clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: protocol,
      Endpoint: endpoint,
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }),
  );
  if (arn === undefined) throw new Error(`${scope.logicalId}: Subscribe returned no SubscriptionArn`);
  return arn;
}

async function provisionStream(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'Name') ?? generateName(scope, { maxLength: 128 });
  // kinesalite has no on-demand mode and no encryption: a stream without ShardCount gets one shard.
  const shardCount = optionalNumber(scope, 'ShardCount') ?? 1;
  const { kinesis } = scope.clients;
  await createUnlessExists(() =>
    kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount })),
  );
  await waitUntilStreamExists({ client: kinesis, ...WAIT }, { StreamName: name });
  // kinesalite's own ARNs name the region of its process environment: the template's region is the one to use.
  return { resource: resourceOf(scope, name, { Arn: arnOf(scope, 'kinesis', `stream/${name}`) }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Lambda and the HTTP API: nothing to create, only what the local runtime, router and pollers need to know

async function provisionFunction(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'FunctionName') ?? generateName(scope, { maxLength: 64 });
  const arn = arnOf(scope, 'lambda', `function:${name}`);
  const lambda: LocalFunction = {
    logicalId: scope.logicalId,
    name,
    arn,
    artifact: artifactOf(scope),
    handler: requiredText(scope, 'Handler'),
    timeoutSeconds: optionalNumber(scope, 'Timeout') ?? 3,
    memoryMb: optionalNumber(scope, 'MemorySize') ?? 128,
    reservedConcurrency: optionalNumber(scope, 'ReservedConcurrentExecutions'),
    environment: environmentOf(scope),
  };
  return { resource: resourceOf(scope, name, { Arn: arn }), function: lambda };
}

function artifactOf(scope: ResourceScope): string {
  const code = resolveProperty(scope, 'Code');
  const key = isRecord(code) ? code.S3Key : undefined;
  if (typeof key === 'string') return basename(key);
  scope.warn(`local cloud: ${scope.logicalId} has no packaged artifact (Code.S3Key): it cannot run locally`);
  return '';
}

function environmentOf(scope: ResourceScope): Record<string, string> {
  const environment = resolveProperty(scope, 'Environment');
  const variables = isRecord(environment) ? environment.Variables : undefined;
  if (!isRecord(variables)) return {};
  const path = `${propertyPath(scope, 'Environment')}.Variables`;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, textOf(value, `${path}.${name}`)]),
  );
}

async function provisionEventSourceMapping(scope: ResourceScope): Promise<Provisioned> {
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
async function queueUrlOf(scope: ResourceScope, queueArn: string): Promise<string> {
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

async function provisionIntegration(scope: ResourceScope): Promise<Provisioned> {
  const id = fakeId(scope, 7);
  const resource = resourceOf(scope, id, { IntegrationId: id });
  const uri = optionalText(scope, 'IntegrationUri');
  const functionName = uri === undefined ? undefined : lambdaFunctionNameIn(uri);
  if (optionalText(scope, 'IntegrationType') !== 'AWS_PROXY' || functionName === undefined) {
    scope.warn(
      `local cloud: not provided locally: HTTP API integration other than Lambda (${scope.logicalId})`,
    );
    return { resource };
  }
  const payloadFormatVersion = optionalText(scope, 'PayloadFormatVersion') ?? '2.0';
  return { resource, integration: { functionName, payloadFormatVersion } };
}

async function provisionRoute(scope: ResourceScope): Promise<Provisioned> {
  const id = fakeId(scope, 7);
  const resource = resourceOf(scope, id, { RouteId: id });
  const routeKey = requiredText(scope, 'RouteKey');
  const target = optionalText(scope, 'Target');
  const integration = target?.startsWith('integrations/')
    ? scope.integrations.get(target.slice('integrations/'.length))
    : undefined;
  if (integration === undefined) {
    scope.warn(`local cloud: route ${routeKey} has no Lambda integration locally (${scope.logicalId})`);
    return { resource };
  }
  const [method, path] = methodAndPathOf(routeKey);
  return { resource, route: { routeKey, method, path, ...integration } };
}

function methodAndPathOf(routeKey: string): [string, string] {
  if (routeKey === '$default') return ['ANY', '$default'];
  const space = routeKey.indexOf(' ');
  return space < 0 ? ['ANY', routeKey] : [routeKey.slice(0, space).toUpperCase(), routeKey.slice(space + 1)];
}

// ---------------------------------------------------------------------------------------------------------------
// Types with no local behaviour (IAM, logs, KMS, the deployment bucket, policies): named so references resolve

async function nameRole(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'RoleName') ?? generateName(scope, { maxLength: 64 });
  return named(scope, name, {
    Arn: arnOf(scope, 'iam', `role/${name}`, { global: true }),
    RoleId: fakeId(scope, 21),
  });
}

async function nameLogGroup(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'LogGroupName') ?? generateName(scope, { maxLength: 512 });
  return named(scope, name, { Arn: arnOf(scope, 'logs', `log-group:${name}:*`) });
}

async function nameKey(scope: ResourceScope): Promise<Provisioned> {
  const keyId = fakeUuid(scope);
  return named(scope, keyId, { Arn: arnOf(scope, 'kms', `key/${keyId}`), KeyId: keyId });
}

async function nameAlias(scope: ResourceScope): Promise<Provisioned> {
  return named(scope, optionalText(scope, 'AliasName') ?? `alias/${scope.logicalId}`, {});
}

async function nameBucket(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'BucketName') ?? generateName(scope, { maxLength: 63, lowerCase: true });
  const region = scope.context.region;
  return named(scope, name, {
    Arn: `arn:${partitionOf(scope)}:s3:::${name}`,
    DomainName: `${name}.s3.amazonaws.com`,
    RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
    DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
    WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
  });
}

async function nameVersion(scope: ResourceScope): Promise<Provisioned> {
  const functionName = functionNameIn(requiredText(scope, 'FunctionName'));
  const functionArn = arnOf(scope, 'lambda', `function:${functionName}`);
  return named(scope, `${functionArn}:1`, { FunctionArn: functionArn, Version: '1' });
}

async function nameApi(scope: ResourceScope): Promise<Provisioned> {
  const apiId = fakeId(scope, 10);
  const apiEndpoint = `https://${apiId}.execute-api.${scope.context.region}.amazonaws.com`;
  return named(scope, apiId, { ApiId: apiId, ApiEndpoint: apiEndpoint });
}

async function nameStage(scope: ResourceScope): Promise<Provisioned> {
  return named(scope, optionalText(scope, 'StageName') ?? '$default', {});
}

/** Policies and permissions: a physical id, nothing else. */
async function nameWithId(scope: ResourceScope): Promise<Provisioned> {
  return named(scope, `${scope.context.stackName}-${scope.logicalId}-${fakeId(scope, 12)}`, {});
}

function named(scope: ResourceScope, ref: string, attributes: Record<string, string>): Provisioned {
  return { resource: resourceOf(scope, ref, attributes) };
}

/** A resource type the local cloud cannot provide: a name and an ARN, so that references to it still resolve. */
export function placeholderFor(scope: ResourceScope): Provisioned {
  const service = scope.type.split('::')[1]?.toLowerCase() ?? 'unknown';
  return named(scope, scope.logicalId, { Arn: arnOf(scope, service, scope.logicalId) });
}

/** Every type the local cloud knows, with what it does locally. Any other type gets a placeholder and a warning. */
export const PROVISIONERS: Readonly<Record<string, Provisioner>> = {
  'AWS::DynamoDB::Table': provisionTable,
  'AWS::SNS::Topic': provisionTopic,
  'AWS::SQS::Queue': provisionQueue,
  'AWS::SNS::Subscription': provisionSubscription,
  'AWS::Kinesis::Stream': provisionStream,
  'AWS::Lambda::Function': provisionFunction,
  'AWS::Lambda::EventSourceMapping': provisionEventSourceMapping,
  'AWS::ApiGatewayV2::Integration': provisionIntegration,
  'AWS::ApiGatewayV2::Route': provisionRoute,
  'AWS::ApiGatewayV2::Api': nameApi,
  'AWS::ApiGatewayV2::Stage': nameStage,
  'AWS::IAM::Role': nameRole,
  'AWS::IAM::Policy': nameWithId,
  'AWS::Logs::LogGroup': nameLogGroup,
  'AWS::Lambda::Permission': nameWithId,
  'AWS::Lambda::Version': nameVersion,
  'AWS::KMS::Key': nameKey,
  'AWS::KMS::Alias': nameAlias,
  'AWS::S3::Bucket': nameBucket,
  'AWS::S3::BucketPolicy': nameWithId,
  // No IAM locally: queue and topic policies have nothing to do.
  'AWS::SQS::QueuePolicy': nameWithId,
  'AWS::SNS::TopicPolicy': nameWithId,
};

// ---------------------------------------------------------------------------------------------------------------
// Properties, names and ARNs

function propertyPath(scope: ResourceScope, name: string): string {
  return `${scope.logicalId}.Properties.${name}`;
}

/** A property with its intrinsics resolved; `undefined` when absent. */
function resolveProperty(scope: ResourceScope, name: string): unknown {
  return resolveValue(scope.properties[name], scope.context, propertyPath(scope, name));
}

function optionalText(scope: ResourceScope, name: string): string | undefined {
  if (scope.properties[name] === undefined) return undefined;
  const value = resolveProperty(scope, name);
  return value === undefined ? undefined : textOf(value, propertyPath(scope, name));
}

function requiredText(scope: ResourceScope, name: string): string {
  if (scope.properties[name] === undefined) {
    throw new TemplateResolutionError(propertyPath(scope, name), 'is required');
  }
  return resolveString(scope.properties[name], scope.context, propertyPath(scope, name));
}

function optionalNumber(scope: ResourceScope, name: string): number | undefined {
  const text = optionalText(scope, name);
  if (text === undefined) return undefined;
  const number = Number(text);
  if (text.trim() === '' || !Number.isFinite(number)) {
    throw new TemplateResolutionError(propertyPath(scope, name), `expected a number, got ${text}`);
  }
  return number;
}

function optionalBoolean(scope: ResourceScope, name: string): boolean | undefined {
  const text = optionalText(scope, name);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') {
    throw new TemplateResolutionError(propertyPath(scope, name), `expected true or false, got ${text}`);
  }
  return text === 'true';
}

function textListOf(scope: ResourceScope, name: string): string[] {
  const value = resolveProperty(scope, name);
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TemplateResolutionError(propertyPath(scope, name), 'expected a list');
  return value.map((item, index) => textOf(item, `${propertyPath(scope, name)}[${index}]`));
}

/**
 * Service attributes from properties of the same name: scalars as text, objects (`RedrivePolicy`, `FilterPolicy`)
 * as JSON, as the SQS and SNS APIs take them.
 */
function attributesOf(scope: ResourceScope, names: readonly string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = resolveProperty(scope, name);
    if (value === undefined) continue;
    attributes[name] =
      typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : textOf(value, propertyPath(scope, name));
  }
  return attributes;
}

/**
 * A property that CloudFormation and the service API spell the same way (`KeySchema`, `AttributeDefinitions`):
 * resolved, checked to be a list and passed on; the emulator validates its members.
 */
function structureOf<T extends unknown[]>(scope: ResourceScope, name: string): T {
  const value = resolveProperty(scope, name);
  if (!Array.isArray(value)) throw new TemplateResolutionError(propertyPath(scope, name), 'expected a list');
  return value as T;
}

function indexesOf<T extends GlobalSecondaryIndex | LocalSecondaryIndex>(
  scope: ResourceScope,
  name: string,
  payPerRequest: boolean,
): T[] | undefined {
  if (scope.properties[name] === undefined) return undefined;
  return structureOf<Record<string, unknown>[]>(scope, name).map((index, position) => {
    const path = `${propertyPath(scope, name)}[${position}]`;
    if (!isRecord(index)) throw new TemplateResolutionError(path, 'expected an index definition');
    // Only what CreateTable takes: contributor insights, warm or on-demand throughput have no local meaning.
    const { IndexName, KeySchema, Projection } = index;
    const throughput = payPerRequest ? undefined : throughputOf(index, scope, `${name}[${position}]`);
    return { IndexName, KeySchema, Projection, ProvisionedThroughput: throughput } as T;
  });
}

function throughputOf(
  holder: Readonly<Record<string, unknown>>,
  scope: ResourceScope,
  where: string,
): ProvisionedThroughput {
  const throughput = resolveValue(holder.ProvisionedThroughput, scope.context, propertyPath(scope, where));
  if (!isRecord(throughput)) return { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
  return {
    ReadCapacityUnits: Number(throughput.ReadCapacityUnits ?? 5),
    WriteCapacityUnits: Number(throughput.WriteCapacityUnits ?? 5),
  };
}

function streamViewTypeOf(scope: ResourceScope): StreamViewType | undefined {
  const stream = resolveProperty(scope, 'StreamSpecification');
  const viewType = isRecord(stream) ? stream.StreamViewType : undefined;
  return typeof viewType === 'string' ? (viewType as StreamViewType) : undefined;
}

function inlineSubscriptionsOf(scope: ResourceScope): Array<{ protocol: string; endpoint: string }> {
  const subscriptions = resolveProperty(scope, 'Subscription');
  if (!Array.isArray(subscriptions)) return [];
  return subscriptions.map((subscription, index) => {
    const path = `${propertyPath(scope, 'Subscription')}[${index}]`;
    if (!isRecord(subscription)) throw new TemplateResolutionError(path, 'expected { Endpoint, Protocol }');
    return {
      protocol: textOf(subscription.Protocol, `${path}.Protocol`),
      endpoint: textOf(subscription.Endpoint, `${path}.Endpoint`),
    };
  });
}

/** `function:<name>` inside a Lambda ARN or an API Gateway invocation URI; a plain name as it is. */
function functionNameIn(value: string): string {
  return lambdaFunctionNameIn(value) ?? value.split(':')[0] ?? value;
}

function lambdaFunctionNameIn(value: string): string | undefined {
  return /(?:^|:)function:([^:/]+)/.exec(value)?.[1];
}

interface NameOptions {
  maxLength: number;
  suffix?: string;
  lowerCase?: boolean;
}

/** CloudFormation names an unnamed resource `<stack>-<logicalId>-<random>`; locally it is the same without the random part. */
function generateName(
  scope: ResourceScope,
  { maxLength, suffix = '', lowerCase = false }: NameOptions,
): string {
  const name = `${scope.context.stackName}-${scope.logicalId}`.slice(0, maxLength - suffix.length) + suffix;
  return lowerCase ? name.toLowerCase() : name;
}

function arnOf(scope: ResourceScope, service: string, resource: string, { global = false } = {}): string {
  const region = global ? '' : scope.context.region;
  return `arn:${partitionOf(scope)}:${service}:${region}:${scope.context.accountId}:${resource}`;
}

function partitionOf(scope: ResourceScope): string {
  return resolveString({ Ref: 'AWS::Partition' }, scope.context, scope.logicalId);
}

/** A stable id for this resource of this stack (hex), so that a second run names everything the same. */
function fakeId(scope: ResourceScope, length: number, salt = ''): string {
  const digest = createHash('sha256')
    .update(`${scope.context.stackName}/${scope.logicalId}/${salt}`)
    .digest('hex');
  return digest.slice(0, length);
}

function fakeUuid(scope: ResourceScope, salt = ''): string {
  const hex = fakeId(scope, 32, salt);
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

function resourceOf(scope: ResourceScope, ref: string, attributes: Record<string, string>): LocalResource {
  return { type: scope.type, ref, attributes };
}

/** Creates a table or stream; one left by an earlier run on the same emulators is used as it is. */
async function createUnlessExists(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
}

function textOf(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateResolutionError(path, `expected a string, got ${JSON.stringify(value)}`);
}

function isOneOf<T extends string>(value: string, options: readonly T[]): value is T {
  return (options as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
