/**
 * A benchmark child process: the CPU of each AWS operation orderflow makes, through a bare SDK client (built once,
 * default configuration, low-level input) and the same in-process fake AWS as the stages. This is the floor a
 * handler's CPU per message is compared with: what the SDK calls alone cost. Writes one JSON line on fd 3:
 * `{ "<service>:<Operation>": µs per call }`.
 */
import { writeSync } from 'node:fs';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BENCH_ENDPOINTS, createAwsResponder } from '../transport/aws-responder.js';
import { installFakeTransport } from '../transport/install.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const WARMUP = Math.max(50, Math.floor(ITERATIONS / 10));

installFakeTransport(createAwsResponder({ orders: { status: 'PLACED' } }).respond);

const dynamodb = new DynamoDBClient({ endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_DYNAMODB });
const sns = new SNSClient({ endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_SNS });
const sqs = new SQSClient({ endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_SQS });
const kinesis = new KinesisClient({
  endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_KINESIS,
  requestHandler: new NodeHttpHandler(),
});
const iotData = new IoTDataPlaneClient({ endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_IOT_DATA_PLANE });

const orderId = '9b2e4c6a-1d3f-4a5b-8c7d-0e1f2a3b4c5d';
const order = {
  orderId: { S: orderId },
  customerId: { S: 'cust-42' },
  currency: { S: 'EUR' },
  region: { S: 'eu-west' },
  items: { L: [{ M: { sku: { S: 'BOOK-1' }, quantity: { N: '2' }, unitPrice: { N: '1999' } } }] },
  total: { N: '3998' },
  status: { S: 'PLACED' },
  version: { N: '1' },
  createdAt: { S: '2026-12-02T10:00:00.000Z' },
  updatedAt: { S: '2026-12-02T10:00:00.000Z' },
};
const event = JSON.stringify({
  eventId: '1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b',
  type: 'OrderPlaced',
  orderId,
  customerId: 'cust-42',
  seq: 1,
  occurredAt: '2026-12-02T10:00:00.000Z',
  data: {
    currency: 'EUR',
    region: 'eu-west',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1999 }],
    total: 3998,
  },
});

/** One representative call of each operation the stages make. */
const calls: Record<string, () => Promise<unknown>> = {
  'dynamodb:GetItem': () =>
    dynamodb.send(
      new GetItemCommand({ TableName: 'orders', Key: { orderId: { S: orderId } }, ConsistentRead: true }),
    ),
  'dynamodb:PutItem': () =>
    dynamodb.send(
      new PutItemCommand({
        TableName: 'orders',
        Item: order,
        ConditionExpression: 'attribute_not_exists(orderId)',
      }),
    ),
  'dynamodb:UpdateItem': () =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: 'orders',
        Key: { orderId: { S: orderId } },
        UpdateExpression: 'SET #seq = :to',
        ConditionExpression: '#seq = :from',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: { ':to': { N: '2' }, ':from': { N: '1' } },
      }),
    ),
  'dynamodb:DeleteItem': () =>
    dynamodb.send(new DeleteItemCommand({ TableName: 'orders', Key: { orderId: { S: orderId } } })),
  'dynamodb:Query': () =>
    dynamodb.send(
      new QueryCommand({
        TableName: 'parked',
        KeyConditionExpression: 'queue = :queue',
        ExpressionAttributeValues: { ':queue': { S: 'fulfillment' } },
      }),
    ),
  'sns:Publish': () =>
    sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:eu-west-1:000000000000:order-events.fifo',
        Message: event,
        MessageGroupId: orderId,
        MessageDeduplicationId: `${orderId}:1`,
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: 'OrderPlaced' },
          total: { DataType: 'Number', StringValue: '3998' },
          currency: { DataType: 'String', StringValue: 'EUR' },
          region: { DataType: 'String', StringValue: 'eu-west' },
        },
      }),
    ),
  'sqs:SendMessage': () =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.bench.invalid/000000000000/fulfillment-dlq.fifo',
        MessageBody: event,
        MessageGroupId: orderId,
        MessageDeduplicationId: `${orderId}:1`,
      }),
    ),
  'sqs:ReceiveMessage': () =>
    sqs.send(
      new ReceiveMessageCommand({ QueueUrl: 'https://sqs.bench.invalid/000000000000/fulfillment-dlq.fifo' }),
    ),
  'sqs:DeleteMessageBatch': () =>
    sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: 'https://sqs.bench.invalid/000000000000/fulfillment-dlq.fifo',
        Entries: [{ Id: '1', ReceiptHandle: 'handle' }],
      }),
    ),
  'kinesis:PutRecords': () =>
    kinesis.send(
      new PutRecordsCommand({
        StreamName: 'activity',
        Records: [{ PartitionKey: orderId, Data: Buffer.from(event) }],
      }),
    ),
  'iot-data:Publish': () =>
    iotData.send(
      new IotPublishCommand({
        topic: `orders/cust-42/${orderId}/status`,
        qos: 1,
        payload: Buffer.from(JSON.stringify({ orderId, status: 'PLACED', seq: 1 })),
      }),
    ),
};

const microsPerCall: Record<string, number> = {};
for (const [operation, call] of Object.entries(calls)) {
  for (let i = 0; i < WARMUP; i += 1) await call();
  const before = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i += 1) await call();
  const used = process.cpuUsage(before);
  microsPerCall[operation] = (used.user + used.system) / ITERATIONS;
}
writeSync(3, `${JSON.stringify(microsPerCall)}\n`);
