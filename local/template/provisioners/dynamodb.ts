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
import { resolveValue, TemplateResolutionError } from '../intrinsics.js';
import { arnOf, generateName, resourceOf } from './names.js';
import {
  createUnlessExists,
  isRecord,
  optionalText,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  resolveProperty,
  structureOf,
  WAIT,
} from './resource-scope.js';

/** `AWS::DynamoDB::Table`: created in dynalite, with what CreateTable takes of the template's properties. */

export async function provisionTable(scope: ResourceScope): Promise<Provisioned> {
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
