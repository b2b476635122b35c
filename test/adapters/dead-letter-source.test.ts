import type { Message } from '@aws-sdk/client-sqs';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDeadLetterSource } from '../../shared/adapters/dead-letter-source.js';
import { receivedDeadLetter } from '../support/fake-redrive-ports.js';

const DLQ_NAME = 'orderflow-test-fulfillment-dlq.fifo';
const DLQ_URL = `https://sqs.us-east-1.amazonaws.com/123456789012/${DLQ_NAME}`;
const ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';

const sqs = mockClient(SQSClient);

beforeEach(() => {
  sqs.reset();
  sqs.on(GetQueueUrlCommand, { QueueName: DLQ_NAME }).resolves({ QueueUrl: DLQ_URL });
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

const sqsClient = () => new SQSClient({ useQueueUrlAsEndpoint: false });

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
    await source.delete(receivedDeadLetter(ORDER_ID));

    // Assess
    expect(sqs.commandCalls(GetQueueUrlCommand).map((call) => call.args[0].input)).toEqual([
      { QueueName: DLQ_NAME },
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: DLQ_URL, ReceiptHandle: 'receipt-m-1' },
    ]);
  });
});
