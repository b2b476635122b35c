import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/clients.js';
import { createDeadLetterSource } from '../../shared/adapters/dead-letter-source.js';
import { createParkingStore } from '../../shared/adapters/parking-store.js';
import { createRedriveTarget } from '../../shared/adapters/redrive-target.js';
import type { ReceivedDeadLetter } from '../../shared/core/ports.js';

const DLQ_NAME = 'orderflow-test-fulfillment-dlq.fifo';
const DLQ_URL = `https://sqs.us-east-1.amazonaws.com/123456789012/${DLQ_NAME}`;
const SOURCE_NAME = 'orderflow-test-fulfillment.fifo';
const SOURCE_URL = `https://sqs.us-east-1.amazonaws.com/123456789012/${SOURCE_NAME}`;
const PARKING_TABLE = 'orderflow-test-redrive';
const QUEUE = 'fulfillment';
const ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';
const NOW = Date.parse('2024-05-01T10:30:00.000Z');

const sqs = mockClient(SQSClient);
const documentClient = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  sqs.reset();
  documentClient.reset();
  sqs.on(GetQueueUrlCommand, { QueueName: DLQ_NAME }).resolves({ QueueUrl: DLQ_URL });
  sqs.on(GetQueueUrlCommand, { QueueName: SOURCE_NAME }).resolves({ QueueUrl: SOURCE_URL });
});

/** A message of a FIFO DLQ as ReceiveMessage returns it. */
function dlqMessage({
  messageId = 'm-1',
  groupId = ORDER_ID,
  body = JSON.stringify({ eventId: 'e-2', orderId: ORDER_ID, seq: 2, type: 'OrderPaid' }),
  attributes = {},
}: {
  messageId?: string;
  groupId?: string;
  body?: string;
  attributes?: Message['MessageAttributes'];
} = {}): Message {
  return {
    MessageId: messageId,
    ReceiptHandle: `receipt-${messageId}`,
    Body: body,
    Attributes: { MessageGroupId: groupId, ApproximateReceiveCount: '1' },
    MessageAttributes: attributes,
  };
}

/** A received dead letter as the source maps it. */
function deadLetter(overrides: Partial<ReceivedDeadLetter> = {}): ReceivedDeadLetter {
  return {
    messageId: 'm-1',
    groupId: ORDER_ID,
    orderId: ORDER_ID,
    seq: 2,
    redriveCount: 1,
    body: JSON.stringify({ orderId: ORDER_ID, seq: 2 }),
    receiptHandle: 'receipt-m-1',
    attributes: { redriveCount: { DataType: 'Number', StringValue: '1' } },
    ...overrides,
  };
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const sqsClient = () => new SQSClient({ useQueueUrlAsEndpoint: false });
const parkingStore = () =>
  createParkingStore({
    client: createDocumentClient(new DynamoDBClient({})),
    tableName: PARKING_TABLE,
    now: () => NOW,
  });

describe('createDeadLetterSource', () => {
  it('receives a FIFO message with its group, redrive count and the order and seq of its body', async () => {
    // Prepare
    const message = dlqMessage({
      attributes: {
        redriveCount: { DataType: 'Number', StringValue: '2' },
        failureReason: { DataType: 'String', StringValue: 'gap' },
      },
    });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [message] });
    const source = createDeadLetterSource({ client: sqsClient(), queueName: DLQ_NAME });

    // Act
    const received = await source.receive(10);

    // Assess
    expect(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: DLQ_URL,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 2,
        VisibilityTimeout: 300,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      },
    ]);
    expect(received).toEqual([
      {
        messageId: 'm-1',
        groupId: ORDER_ID,
        orderId: ORDER_ID,
        seq: 2,
        redriveCount: 2,
        body: message.Body,
        receiptHandle: 'receipt-m-1',
        attributes: {
          redriveCount: { DataType: 'Number', StringValue: '2' },
          failureReason: { DataType: 'String', StringValue: 'gap' },
        },
      },
    ]);
  });

  it.each([
    ['is not JSON', 'not json {'],
    ['is JSON but not an event envelope', JSON.stringify({ orderId: ORDER_ID, seq: 'two' })],
    ['is JSON null', 'null'],
  ])(
    'receives a message whose body %s, without an order or seq and a redrive count of 0',
    async (_, body) => {
      // Prepare
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [dlqMessage({ body })] });
      const source = createDeadLetterSource({ client: sqsClient(), queueName: DLQ_NAME });

      // Act
      const [received] = await source.receive(10);

      // Assess
      expect(received).toMatchObject({ messageId: 'm-1', groupId: ORDER_ID, body, redriveCount: 0 });
      expect(received?.orderId).toBeUndefined();
      expect(received?.seq).toBeUndefined();
    },
  );

  it('peeks without hiding the messages or waiting', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [dlqMessage()] });
    const source = createDeadLetterSource({ client: sqsClient(), queueName: DLQ_NAME });

    // Act
    const peeked = await source.peek(10);

    // Assess
    expect(peeked.map((message) => message.messageId)).toEqual(['m-1']);
    expect(sqs.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: DLQ_URL,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      },
    ]);
  });

  it('looks the queue URL up once for several calls and deletes by receipt handle', async () => {
    // Prepare
    sqs.on(ReceiveMessageCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    const source = createDeadLetterSource({ client: sqsClient(), queueName: DLQ_NAME });

    // Act
    await source.receive(10);
    await source.peek(10);
    await source.delete(deadLetter());

    // Assess
    expect(sqs.commandCalls(GetQueueUrlCommand).map((call) => call.args[0].input)).toEqual([
      { QueueName: DLQ_NAME },
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: DLQ_URL, ReceiptHandle: 'receipt-m-1' },
    ]);
  });
});

describe('createRedriveTarget', () => {
  it('sends to the group with the given deduplication id, its own attributes and the new redrive count', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({});
    const target = createRedriveTarget({ client: sqsClient(), queueName: SOURCE_NAME });
    const message = deadLetter({
      attributes: {
        eventType: { DataType: 'String', StringValue: 'OrderPaid' },
        redriveCount: { DataType: 'Number', StringValue: '1' },
        failureReason: { DataType: 'String', StringValue: 'gap' },
        sourceMessageId: { DataType: 'String', StringValue: 'source-1' },
      },
    });

    // Act
    await target.send(message, 'm-1:redrive:2', 2);
    await target.send(message, 'm-1:redrive:3', 3);

    // Assess
    const sends = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(1);
    expect(sends.map((input) => input.MessageDeduplicationId)).toEqual(['m-1:redrive:2', 'm-1:redrive:3']);
    expect(sends[0]).toEqual({
      QueueUrl: SOURCE_URL,
      MessageBody: message.body,
      MessageGroupId: ORDER_ID,
      MessageDeduplicationId: 'm-1:redrive:2',
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'OrderPaid' },
        redriveCount: { DataType: 'Number', StringValue: '2' },
      },
    });
  });
});

describe('createParkingStore', () => {
  it('stages the whole message under its queue, unconditionally', async () => {
    // Prepare
    documentClient.on(PutCommand).resolves({});
    const message = deadLetter();

    // Act
    await parkingStore().stage(QUEUE, message);

    // Assess
    expect(documentClient.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: PARKING_TABLE, Item: { pk: 'STAGED#fulfillment', sk: 'm-1', stagedAt: NOW, message } },
    ]);
  });

  it('lists the staged messages of every page in staging order', async () => {
    // Prepare
    const first = deadLetter({ messageId: 'm-b', seq: 1 });
    const second = deadLetter({ messageId: 'm-a', seq: 3 });
    const third = deadLetter({ messageId: 'm-c', seq: undefined, orderId: undefined });
    const { orderId: _orderId, seq: _seq, ...stored } = third; // what DynamoDB gives back without undefined values
    documentClient
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ pk: 'STAGED#fulfillment', sk: 'm-c', stagedAt: NOW + 1, message: stored }],
        LastEvaluatedKey: { pk: 'STAGED#fulfillment', sk: 'm-c' },
      })
      .resolvesOnce({
        Items: [
          { pk: 'STAGED#fulfillment', sk: 'm-a', stagedAt: NOW, message: second },
          { pk: 'STAGED#fulfillment', sk: 'm-b', stagedAt: NOW - 1, message: first },
        ],
      });

    // Act
    const staged = await parkingStore().staged(QUEUE);

    // Assess
    expect(staged).toEqual([first, second, third]);
    expect(documentClient.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: PARKING_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'STAGED#fulfillment' },
        ConsistentRead: true,
        ExclusiveStartKey: undefined,
      },
      {
        TableName: PARKING_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'STAGED#fulfillment' },
        ConsistentRead: true,
        ExclusiveStartKey: { pk: 'STAGED#fulfillment', sk: 'm-c' },
      },
    ]);
  });

  it('parks a message with its reason and then removes it from the staged ones', async () => {
    // Prepare
    documentClient.on(PutCommand).resolves({});
    documentClient.on(DeleteCommand).resolves({});
    const message = deadLetter({ redriveCount: 3 });

    // Act
    await parkingStore().park(QUEUE, message, 'redriven 3 times (limit 3)');

    // Assess
    expect(documentClient.calls().map((call) => call.args[0].input)).toEqual([
      {
        TableName: PARKING_TABLE,
        Item: {
          pk: 'PARKED#fulfillment',
          sk: 'm-1',
          reason: 'redriven 3 times (limit 3)',
          parkedAt: '2024-05-01T10:30:00.000Z',
          message,
        },
      },
      { TableName: PARKING_TABLE, Key: { pk: 'STAGED#fulfillment', sk: 'm-1' } },
    ]);
  });

  it('unparks a message by reading it, staging it with its redrive count reset, then deleting the parked copy', async () => {
    // Prepare
    const message = deadLetter({ redriveCount: 3 });
    documentClient.on(GetCommand).resolves({
      Item: {
        pk: 'PARKED#fulfillment',
        sk: 'm-1',
        reason: 'redriven 3 times (limit 3)',
        parkedAt: 'x',
        message,
      },
    });
    documentClient.on(PutCommand).resolves({});
    documentClient.on(DeleteCommand).resolves({});

    // Act
    const unparked = await parkingStore().unpark(QUEUE, 'm-1');

    // Assess
    expect(unparked).toEqual({ ...message, redriveCount: 0 });
    expect(documentClient.calls().map((call) => call.args[0].input)).toEqual([
      { TableName: PARKING_TABLE, Key: { pk: 'PARKED#fulfillment', sk: 'm-1' }, ConsistentRead: true },
      {
        TableName: PARKING_TABLE,
        Item: {
          pk: 'STAGED#fulfillment',
          sk: 'm-1',
          stagedAt: NOW,
          message: { ...message, redriveCount: 0 },
        },
      },
      { TableName: PARKING_TABLE, Key: { pk: 'PARKED#fulfillment', sk: 'm-1' } },
    ]);
  });

  it('unparks nothing, and writes nothing, for an id that is not parked', async () => {
    // Prepare
    documentClient.on(GetCommand).resolves({});

    // Act
    const unparked = await parkingStore().unpark(QUEUE, 'm-404');

    // Assess
    expect(unparked).toBeUndefined();
    expect(documentClient.calls()).toHaveLength(1);
  });

  it('releases a staged message by deleting it', async () => {
    // Prepare
    documentClient.on(DeleteCommand).resolves({});

    // Act
    await parkingStore().release(QUEUE, deadLetter());

    // Assess
    expect(documentClient.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: PARKING_TABLE, Key: { pk: 'STAGED#fulfillment', sk: 'm-1' } },
    ]);
  });

  it('gives each group the lowest seq of its parked messages, 0 for one without a seq', async () => {
    // Prepare
    const parked = (messageId: string, groupId: string, seq?: number) => ({
      pk: 'PARKED#fulfillment',
      sk: messageId,
      reason: 'redriven 3 times (limit 3)',
      parkedAt: '2024-05-01T10:30:00.000Z',
      message: deadLetter({ messageId, groupId, seq }),
    });
    documentClient.on(QueryCommand).resolves({
      Items: [parked('m-1', 'group-a', 5), parked('m-2', 'group-a', 3), parked('m-3', 'group-b')],
    });

    // Act
    const parkedAt = await parkingStore().parkedAt(QUEUE);

    // Assess
    expect(parkedAt).toEqual(
      new Map([
        ['group-a', 3],
        ['group-b', 0],
      ]),
    );
    expect(documentClient.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: PARKING_TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'PARKED#fulfillment' },
    });
  });
});

describe('createParkingStore as a redrive lock', () => {
  it('acquires a free lock until its expiry, leaving an expired lock to the table condition', async () => {
    // Prepare
    documentClient.on(PutCommand).resolves({});

    // Act
    const acquired = await parkingStore().lock(QUEUE, 'owner-1', 60_000);

    // Assess
    expect(acquired).toBe(true);
    const input = documentClient.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TableName: PARKING_TABLE,
      Item: { pk: 'LOCK#fulfillment', sk: 'LOCK', owner: 'owner-1', expiresAt: NOW + 60_000 },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': NOW },
    });
    expect(typeof input?.ExpressionAttributeValues?.[':now']).toBe('number');
  });

  it('refuses the lock to a second owner while the first holds it', async () => {
    // Prepare
    documentClient.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    const lock = parkingStore();

    // Act
    const first = await lock.lock(QUEUE, 'owner-1', 60_000);
    const second = await lock.lock(QUEUE, 'owner-2', 60_000);

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(documentClient.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.owner)).toEqual([
      'owner-1',
      'owner-2',
    ]);
  });

  it('releases the lock only for its owner, and a lost condition is not an error', async () => {
    // Prepare
    documentClient.on(DeleteCommand).resolvesOnce({}).rejects(conditionFailed());
    const lock = parkingStore();

    // Act
    await lock.unlock(QUEUE, 'owner-1');
    await lock.unlock(QUEUE, 'owner-1');

    // Assess
    const lockRelease = {
      TableName: PARKING_TABLE,
      Key: { pk: 'LOCK#fulfillment', sk: 'LOCK' },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': 'owner-1' },
    };
    expect(documentClient.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      lockRelease,
      lockRelease,
    ]);
  });

  it('passes on an error other than a lost condition', async () => {
    // Prepare
    documentClient.on(PutCommand).rejects(new Error('AccessDeniedException'));

    // Act
    const acquiring = parkingStore().lock(QUEUE, 'owner-1', 60_000);

    // Assess
    await expect(acquiring).rejects.toThrow('AccessDeniedException');
  });
});
