import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRedriveTarget } from '../../shared/adapters/redrive-target.js';
import { receivedDeadLetter } from '../support/fake-redrive-ports.js';

const SOURCE_NAME = 'orderflow-test-fulfillment.fifo';
const SOURCE_URL = `https://sqs.us-east-1.amazonaws.com/123456789012/${SOURCE_NAME}`;
const ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';

const sqs = mockClient(SQSClient);

beforeEach(() => {
  sqs.reset();
  sqs.on(GetQueueUrlCommand, { QueueName: SOURCE_NAME }).resolves({ QueueUrl: SOURCE_URL });
});

const sqsClient = () => new SQSClient({ useQueueUrlAsEndpoint: false });

describe('createRedriveTarget', () => {
  it('sends to the group with the given deduplication id, its own attributes and the new redrive count', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({});
    const target = createRedriveTarget({ client: sqsClient(), queueName: SOURCE_NAME });
    const message = receivedDeadLetter(ORDER_ID, {
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
