// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings are written with ${...}
import { rm } from 'node:fs/promises';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
} from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClients } from '../../../local/aws-clients.js';
import { createLocalClients } from '../../../local/aws-clients.js';
import { startDynamoDb, startKinesis, startSqsSns } from '../../../local/emulators.js';
import type { ProvisionedStack } from '../../../local/template/model.js';
import type { PackagedStack, StackTemplate } from '../../../local/template/packaged-stack.js';
import { loadPackagedStack } from '../../../local/template/packaged-stack.js';
import { orderResources, provisionStack } from '../../../local/template/provision.js';
import { writePackageDir } from '../../support/fixture-package.js';

const REGION = 'eu-west-1';
const TOPIC_ARN = arn('sns', 'orderflow-test-order-events.fifo');
const FULFILLMENT_QUEUE = 'orderflow-test-fulfillment.fifo';
const REVIEW_QUEUE = 'orderflow-test-review.fifo';
const FULFILLMENT_FILTER = { eventType: ['OrderPlaced', 'OrderPaid', 'OrderCancelled'] };
const REVIEW_FILTER = { eventType: ['OrderPlaced'], total: [{ numeric: ['>=', 100000] }] };

function arn(service: string, resource: string): string {
  return `arn:aws:${service}:${REGION}:000000000000:${resource}`;
}

interface ProvisioningCloud {
  clients: LocalClients;
  close(): Promise<void>;
}

/** The three emulators provisioning talks to, on ephemeral ports. */
async function startProvisioningCloud(): Promise<ProvisioningCloud> {
  const [sqsSns, dynamodb, kinesis] = await Promise.all([
    startSqsSns(0, REGION),
    startDynamoDb(0),
    startKinesis(0),
  ]);
  const endpoints = {
    sqsSns: sqsSns.endpoint,
    dynamodb: dynamodb.endpoint,
    kinesis: kinesis.endpoint,
    iotData: 'http://127.0.0.1:9', // provisioning never publishes
  };
  const clients = createLocalClients(endpoints, REGION);
  return {
    clients,
    close: async () => {
      clients.destroy();
      await Promise.all([sqsSns.close(), dynamodb.close(), kinesis.close()]);
    },
  };
}

function withReviewThreshold(template: StackTemplate, threshold: number): StackTemplate {
  const changed = structuredClone(template);
  const properties = changed.Resources.ReviewSubscription?.Properties;
  if (properties === undefined) throw new Error('The fixture has no ReviewSubscription');
  properties.FilterPolicy = { eventType: ['OrderPlaced'], total: [{ numeric: ['>=', threshold] }] };
  return changed;
}

async function queueUrlOf(clients: LocalClients, queueName: string): Promise<string> {
  const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (QueueUrl === undefined) throw new Error(`No queue ${queueName}`);
  return QueueUrl;
}

async function publishOrderEvent(
  clients: LocalClients,
  event: { orderId: string; eventType: string; total: number },
): Promise<string> {
  const body = JSON.stringify({ type: event.eventType, orderId: event.orderId, seq: 1 });
  await clients.sns.send(
    new PublishCommand({
      TopicArn: TOPIC_ARN,
      Message: body,
      MessageGroupId: event.orderId,
      MessageDeduplicationId: `${event.orderId}:${event.eventType}`,
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: event.eventType },
        total: { DataType: 'Number', StringValue: String(event.total) },
      },
    }),
  );
  return body;
}

/** One long poll (returns as soon as a message is there), deleting what it received. */
async function receiveMessages(
  clients: LocalClients,
  queueName: string,
  waitSeconds: number,
): Promise<Message[]> {
  const queueUrl = await queueUrlOf(clients, queueName);
  const { Messages: messages = [] } = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['MessageGroupId'],
    }),
  );
  if (messages.length > 0) {
    const entries = messages.map((message, index) => ({
      Id: String(index),
      ReceiptHandle: message.ReceiptHandle,
    }));
    await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
  return messages;
}

function deliveredOf(messages: Message[]): Array<{ body: string | undefined; groupId: string | undefined }> {
  return messages.map((message) => ({ body: message.Body, groupId: message.Attributes?.MessageGroupId }));
}

describe('orderResources', () => {
  it('places each resource after those it refers to or depends on', () => {
    // Prepare
    const resources = {
      Subscription: {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: 'Topic' }, Endpoint: { 'Fn::Sub': '${Queue.Arn}' } },
      },
      Queue: { Type: 'AWS::SQS::Queue', DependsOn: 'Policy' },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': 'Key.Arn' } } },
      Policy: { Type: 'AWS::SQS::QueuePolicy' },
      Key: { Type: 'AWS::KMS::Key' },
    };

    // Act
    const order = orderResources(resources);

    // Assess
    expect(order).toEqual(['Policy', 'Key', 'Queue', 'Topic', 'Subscription']);
  });

  it('names the resources of a dependency cycle', () => {
    // Prepare
    const resources = {
      Standalone: { Type: 'AWS::SNS::Topic' },
      Left: {
        Type: 'AWS::SQS::Queue',
        Properties: { RedrivePolicy: { deadLetterTargetArn: { Ref: 'Right' } } },
      },
      Right: { Type: 'AWS::SQS::Queue', DependsOn: ['Left'] },
    };

    // Act
    const ordering = () => orderResources(resources);

    // Assess
    expect(ordering).toThrow('these resources depend on each other in a cycle: Left, Right');
  });

  it('rejects a DependsOn that names no resource of the template', () => {
    // Prepare
    const resources = { Queue: { Type: 'AWS::SQS::Queue', DependsOn: 'Missing' } };

    // Act
    const ordering = () => orderResources(resources);

    // Assess
    expect(ordering).toThrow('Queue DependsOn Missing, which is not in the template');
  });
});

describe('provisionStack', () => {
  let cloud: ProvisioningCloud;
  let clients: LocalClients;
  let packaged: PackagedStack;
  let stack: ProvisionedStack;
  const logged: string[] = [];

  beforeAll(async () => {
    cloud = await startProvisioningCloud();
    clients = cloud.clients;
    const packageDir = await writePackageDir();
    packaged = await loadPackagedStack(packageDir);
    await rm(packageDir, { recursive: true, force: true });
    stack = await provisionStack(packaged.template, {
      clients,
      region: packaged.region,
      stackName: packaged.stackName,
      log: (line) => logged.push(line),
    });
  });

  afterAll(async () => {
    await cloud?.close();
  });

  it.each([
    { table: 'orderflow-test-orders', key: 'orderId', indexes: ['byCustomer'] },
    { table: 'orderflow-test-idempotency', key: 'id', indexes: [] },
  ])('creates the table $table with its key and indexes', async ({ table, key, indexes }) => {
    // Act
    const { Table: description } = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: table }),
    );

    // Assess
    expect(description?.TableStatus).toBe('ACTIVE');
    expect(description?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(description?.KeySchema).toEqual([{ AttributeName: key, KeyType: 'HASH' }]);
    expect((description?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName)).toEqual(indexes);
    expect(stack.resources[table === 'orderflow-test-orders' ? 'OrdersTable' : 'IdempotencyTable']).toEqual({
      type: 'AWS::DynamoDB::Table',
      ref: table,
      attributes: { Arn: arn('dynamodb', `table/${table}`) },
    });
  });

  it('creates the FIFO topic encrypted with the stack key', async () => {
    // Act
    const { Attributes: attributes } = await clients.sns.send(
      new GetTopicAttributesCommand({ TopicArn: TOPIC_ARN }),
    );

    // Assess
    const keyId = stack.resources.OrderflowKey?.ref;
    expect(keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(attributes).toMatchObject({
      FifoTopic: 'true',
      ContentBasedDeduplication: 'false',
      KmsMasterKeyId: keyId,
    });
    expect(stack.resources.OrderEventsTopic?.ref).toBe(TOPIC_ARN);
  });

  it.each([
    { queue: FULFILLMENT_QUEUE, dlq: 'orderflow-test-fulfillment-dlq.fifo', visibilityTimeout: '180' },
    { queue: REVIEW_QUEUE, dlq: 'orderflow-test-review-dlq.fifo', visibilityTimeout: '60' },
  ])('creates $queue with a redrive policy to its FIFO DLQ', async ({ queue, dlq, visibilityTimeout }) => {
    // Act
    const { Attributes: attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await queueUrlOf(clients, queue), AttributeNames: ['All'] }),
    );
    const { Attributes: dlqAttributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await queueUrlOf(clients, dlq), AttributeNames: ['All'] }),
    );

    // Assess
    expect(attributes).toMatchObject({
      QueueArn: arn('sqs', queue),
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      VisibilityTimeout: visibilityTimeout,
      KmsMasterKeyId: stack.resources.OrderflowKey?.ref,
    });
    expect(JSON.parse(attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: arn('sqs', dlq),
      maxReceiveCount: 5,
    });
    expect(dlqAttributes).toMatchObject({ FifoQueue: 'true', MessageRetentionPeriod: '1209600' });
  });

  it('creates the on-failure queue as a standard queue', async () => {
    // Act
    const { Attributes: attributes = {} } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await queueUrlOf(clients, 'orderflow-test-activity-failures'),
        AttributeNames: ['All'],
      }),
    );

    // Assess
    expect(attributes.FifoQueue).toBeUndefined();
    expect(attributes.MessageRetentionPeriod).toBe('1209600');
  });

  it('names a queue without a QueueName after the stack and its logical id', async () => {
    // Act
    const queueUrl = await queueUrlOf(clients, 'orderflow-test-ReviewSubscriptionDlq.fifo');

    // Assess
    expect(stack.resources.ReviewSubscriptionDlq).toEqual({
      type: 'AWS::SQS::Queue',
      ref: queueUrl,
      attributes: {
        Arn: arn('sqs', 'orderflow-test-ReviewSubscriptionDlq.fifo'),
        QueueName: 'orderflow-test-ReviewSubscriptionDlq.fifo',
        QueueUrl: queueUrl,
      },
    });
  });

  it.each([
    {
      queue: FULFILLMENT_QUEUE,
      filter: FULFILLMENT_FILTER,
      dlq: 'orderflow-test-fulfillment-subscription-dlq.fifo',
    },
    { queue: REVIEW_QUEUE, filter: REVIEW_FILTER, dlq: 'orderflow-test-ReviewSubscriptionDlq.fifo' },
  ])('subscribes $queue with raw delivery, its filter policy and its DLQ', async ({ queue, filter, dlq }) => {
    // Prepare
    const { Subscriptions: subscriptions = [] } = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }),
    );
    const subscription = subscriptions.find((candidate) => candidate.Endpoint === arn('sqs', queue));

    // Act
    const { Attributes: attributes = {} } = await clients.sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription?.SubscriptionArn }),
    );

    // Assess
    expect(subscriptions).toHaveLength(2);
    expect(subscription?.Protocol).toBe('sqs');
    expect(attributes).toMatchObject({ RawMessageDelivery: 'true', FilterPolicyScope: 'MessageAttributes' });
    expect(JSON.parse(attributes.FilterPolicy ?? '{}')).toEqual(filter);
    expect(JSON.parse(attributes.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: arn('sqs', dlq) });
  });

  it('creates the stream with its shard count', async () => {
    // Act
    const { StreamDescriptionSummary: summary } = await clients.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: 'orderflow-test-order-activity' }),
    );

    // Assess
    expect(summary?.StreamStatus).toBe('ACTIVE');
    expect(summary?.OpenShardCount).toBe(2);
    expect(stack.resources.OrderActivityStream?.attributes.Arn).toBe(
      arn('kinesis', 'stream/orderflow-test-order-activity'),
    );
  });

  it("resolves each function's environment to local names and ARNs", async () => {
    // Prepare
    const fulfillmentDlqUrl = await queueUrlOf(clients, 'orderflow-test-fulfillment-dlq.fifo');
    const failureQueueUrl = await queueUrlOf(clients, 'orderflow-test-activity-failures');

    // Act
    const functions = Object.fromEntries(stack.functions.map((fn) => [fn.name, fn]));

    // Assess
    expect(functions).toEqual({
      'orderflow-test-createOrder': {
        logicalId: 'CreateOrderLambdaFunction',
        name: 'orderflow-test-createOrder',
        arn: arn('lambda', 'function:orderflow-test-createOrder'),
        artifact: 'createOrder.zip',
        handler: 'functions/create-order.handler',
        timeoutSeconds: 10,
        memoryMb: 1024,
        environment: {
          POWERTOOLS_SERVICE_NAME: 'orderflow',
          ORDERS_TABLE: 'orderflow-test-orders',
          IDEMPOTENCY_TABLE: 'orderflow-test-idempotency',
          ORDER_EVENTS_TOPIC_ARN: TOPIC_ARN,
        },
      },
      'orderflow-test-processOrder': {
        logicalId: 'ProcessOrderLambdaFunction',
        name: 'orderflow-test-processOrder',
        arn: arn('lambda', 'function:orderflow-test-processOrder'),
        artifact: 'processOrder.zip',
        handler: 'functions/process-order.handler',
        timeoutSeconds: 30,
        memoryMb: 512,
        reservedConcurrency: 4,
        environment: {
          POWERTOOLS_SERVICE_NAME: 'orderflow',
          ORDERS_TABLE: 'orderflow-test-orders',
          ORDERS_TABLE_ARN: arn('dynamodb', 'table/orderflow-test-orders'),
          FULFILLMENT_DLQ_URL: fulfillmentDlqUrl,
          ACTIVITY_STREAM_NAME: 'orderflow-test-order-activity',
          ACTIVITY_STREAM_ARN: arn('kinesis', 'stream/orderflow-test-order-activity'),
          REVIEW_DLQ_ARN: arn('sqs', 'orderflow-test-review-dlq.fifo'),
        },
      },
      'orderflow-test-aggregateAnalytics': {
        logicalId: 'AggregateAnalyticsLambdaFunction',
        name: 'orderflow-test-aggregateAnalytics',
        arn: arn('lambda', 'function:orderflow-test-aggregateAnalytics'),
        artifact: 'aggregateAnalytics.zip',
        handler: 'functions/aggregate-analytics.handler',
        timeoutSeconds: 3,
        memoryMb: 128,
        environment: {
          ANALYTICS_TABLE: 'orderflow-test-orders',
          FAILURE_QUEUE_URL: failureQueueUrl,
          SUMMARY_TOPIC_ARN: arn('iot', 'topic/analytics/orders/summary'),
          STREAM_LABEL: 'orderflow-test-order-activity in orderflow-test, not ${Literal}',
          FIRST_ZONE: 'eu-west-1a',
        },
      },
    });
  });

  it('routes each HTTP API route to the function of its integration, behind its JWT authorizer if it names one', () => {
    // Act
    const routes = [...stack.routes].sort((a, b) => a.routeKey.localeCompare(b.routeKey));

    // Assess
    const createOrder = { functionName: 'orderflow-test-createOrder', payloadFormatVersion: '2.0' };
    expect(routes).toEqual([
      { routeKey: '$default', method: 'ANY', path: '$default', ...createOrder },
      { routeKey: 'GET /orders/{orderId}', method: 'GET', path: '/orders/{orderId}', ...createOrder },
      {
        routeKey: 'POST /orders',
        method: 'POST',
        path: '/orders',
        ...createOrder,
        authorizer: {
          name: 'customerJwt',
          issuer: 'https://auth.orderflow.localhost/',
          audience: ['orderflow-api'],
          identitySource: ['$request.header.Authorization'],
          scopes: ['orders/place'],
        },
      },
    ]);
  });

  it.each([
    {
      change: 'an AWS_IAM route',
      route: { AuthorizationType: 'AWS_IAM' },
      message: 'AWS_IAM is not checked locally; only JWT authorizers are (route POST /orders)',
    },
    {
      change: 'a route naming an authorizer the template lacks',
      route: { AuthorizerId: 'abc123' },
      message: 'names abc123, which is no JWT authorizer of this template (route POST /orders)',
    },
  ])('refuses $change rather than leave it open', async ({ route, message }) => {
    // Prepare
    const template = structuredClone(packaged.template);
    const resource = template.Resources.HttpApiRoutePostOrders as { Properties: Record<string, unknown> };
    Object.assign(resource.Properties, route);

    // Act
    const provisioning = provisionStack(template, {
      clients,
      region: packaged.region,
      stackName: packaged.stackName,
    });

    // Assess
    await expect(provisioning).rejects.toThrow(message);
  });

  it('maps each event source mapping with its options and the defaults of the rest', async () => {
    // Prepare
    const fulfillmentUrl = await queueUrlOf(clients, FULFILLMENT_QUEUE);
    const reviewUrl = await queueUrlOf(clients, REVIEW_QUEUE);
    const failureQueueUrl = await queueUrlOf(clients, 'orderflow-test-activity-failures');

    // Act
    const eventSources = Object.fromEntries(stack.eventSources.map((source) => [source.logicalId, source]));

    // Assess
    expect(eventSources).toEqual({
      ProcessOrderEventSourceMappingSQSFulfillmentQueue: {
        kind: 'sqs',
        logicalId: 'ProcessOrderEventSourceMappingSQSFulfillmentQueue',
        functionName: 'orderflow-test-processOrder',
        queueUrl: fulfillmentUrl,
        queueArn: arn('sqs', FULFILLMENT_QUEUE),
        fifo: true,
        batchSize: 10,
        maximumBatchingWindowSeconds: 0,
        reportBatchItemFailures: true,
        enabled: true,
      },
      ProcessOrderEventSourceMappingSQSReviewQueue: {
        kind: 'sqs',
        logicalId: 'ProcessOrderEventSourceMappingSQSReviewQueue',
        functionName: 'orderflow-test-processOrder',
        queueUrl: reviewUrl,
        queueArn: arn('sqs', REVIEW_QUEUE),
        fifo: true,
        batchSize: 5,
        maximumBatchingWindowSeconds: 2,
        reportBatchItemFailures: false,
        maximumConcurrency: 2,
        enabled: false,
      },
      AggregateAnalyticsEventSourceMappingKinesisOrderActivityStream: {
        kind: 'kinesis',
        logicalId: 'AggregateAnalyticsEventSourceMappingKinesisOrderActivityStream',
        functionName: 'orderflow-test-aggregateAnalytics',
        streamName: 'orderflow-test-order-activity',
        streamArn: arn('kinesis', 'stream/orderflow-test-order-activity'),
        batchSize: 50,
        maximumBatchingWindowSeconds: 1,
        startingPosition: 'TRIM_HORIZON',
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 3,
        maximumRecordAgeSeconds: 3600,
        reportBatchItemFailures: true,
        onFailure: {
          type: 'sqs',
          arn: arn('sqs', 'orderflow-test-activity-failures'),
          queueUrl: failureQueueUrl,
        },
        enabled: true,
      },
    });
  });

  it('warns once about a resource type it cannot provide and still names it', () => {
    // Assess
    expect(stack.warnings).toEqual(['local cloud: not provided locally: AWS::IoT::Thing (ScannerThing)']);
    expect(stack.resources.ScannerThing).toEqual({
      type: 'AWS::IoT::Thing',
      ref: 'ScannerThing',
      attributes: { Arn: arn('iot', 'ScannerThing') },
    });
    expect(stack.resources.AggregateAnalyticsLambdaPermissionIot?.type).toBe('AWS::Lambda::Permission');
  });

  it('logs one line saying what it provisioned', () => {
    // Assess
    expect(logged).toEqual([
      'local cloud: provisioned 2 tables, 1 topic, 7 queues, 2 subscriptions, 1 stream; ' +
        '3 functions, 3 routes, 3 event sources',
    ]);
  });

  it('delivers an OrderPlaced of 150000 to both queues as a raw body in its message group', async () => {
    // Prepare
    const orderId = 'order-placed-150000';

    // Act
    const body = await publishOrderEvent(clients, { orderId, eventType: 'OrderPlaced', total: 150000 });

    // Assess
    const expected = [{ body, groupId: orderId }];
    expect(deliveredOf(await receiveMessages(clients, FULFILLMENT_QUEUE, 5))).toEqual(expected);
    expect(deliveredOf(await receiveMessages(clients, REVIEW_QUEUE, 5))).toEqual(expected);
  });

  it('delivers an OrderPaid to fulfillment only', async () => {
    // Prepare
    const orderId = 'order-paid-150000';

    // Act
    const body = await publishOrderEvent(clients, { orderId, eventType: 'OrderPaid', total: 150000 });

    // Assess
    expect(deliveredOf(await receiveMessages(clients, FULFILLMENT_QUEUE, 5))).toEqual([
      { body, groupId: orderId },
    ]);
    // SNS fans out at publish: once fulfillment has it, review would have it too.
    expect(await receiveMessages(clients, REVIEW_QUEUE, 1)).toEqual([]);
  });

  it('rejects a reference it cannot resolve, naming the resource and the property path', async () => {
    // Prepare
    const template = {
      Resources: {
        BrokenQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: 'broken',
            RedrivePolicy: {
              deadLetterTargetArn: { 'Fn::GetAtt': ['MissingDlq', 'Arn'] },
              maxReceiveCount: 5,
            },
          },
        },
      },
    };

    // Act
    const provisioning = provisionStack(template, { clients, region: REGION });

    // Assess
    await expect(provisioning).rejects.toThrow(
      'cannot provision BrokenQueue (AWS::SQS::Queue): BrokenQueue.Properties.RedrivePolicy.deadLetterTargetArn: ' +
        'Fn::GetAtt MissingDlq.Arn: no resource or parameter MissingDlq is provisioned',
    );
  });

  it('provisions the same template again over its own resources without duplicating them', async () => {
    // Act
    const again = await provisionStack(packaged.template, {
      clients,
      region: packaged.region,
      stackName: packaged.stackName,
    });

    // Assess
    const { Subscriptions: subscriptions = [] } = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }),
    );
    expect(again).toEqual(stack);
    expect(subscriptions).toHaveLength(2);
  });
});

describe('provisionStack with a changed filter policy', () => {
  let cloud: ProvisioningCloud;
  let clients: LocalClients;

  beforeAll(async () => {
    cloud = await startProvisioningCloud();
    clients = cloud.clients;
    const packageDir = await writePackageDir();
    const { template, region, stackName } = await loadPackagedStack(packageDir);
    await rm(packageDir, { recursive: true, force: true });
    await provisionStack(withReviewThreshold(template, 200000), { clients, region, stackName });
  });

  afterAll(async () => {
    await cloud?.close();
  });

  it('no longer delivers an OrderPlaced of 150000 to review once the threshold is 200000', async () => {
    // Prepare
    const orderId = 'order-placed-150000';

    // Act
    const body = await publishOrderEvent(clients, { orderId, eventType: 'OrderPlaced', total: 150000 });

    // Assess
    expect(deliveredOf(await receiveMessages(clients, FULFILLMENT_QUEUE, 5))).toEqual([
      { body, groupId: orderId },
    ]);
    expect(await receiveMessages(clients, REVIEW_QUEUE, 1)).toEqual([]);
  });

  it('delivers an OrderPlaced of 250000 to review under the new threshold', async () => {
    // Prepare
    const orderId = 'order-placed-250000';

    // Act
    const body = await publishOrderEvent(clients, { orderId, eventType: 'OrderPlaced', total: 250000 });

    // Assess
    expect(deliveredOf(await receiveMessages(clients, REVIEW_QUEUE, 5))).toEqual([
      { body, groupId: orderId },
    ]);
  });
});
