import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RedriveReport } from '../../shared/app/redrive-dlq.js';
import { lambdaContext } from '../support/api-event.js';

const sqs = mockClient(SQSClient);
const documentClient = mockClient(DynamoDBDocumentClient);
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orderflow-test-fulfillment-dlq.fifo';
const SOURCE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orderflow-test-fulfillment.fifo';
const ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<RedriveReport>;
let handler: Handler;

const envelope = (seq: number) =>
  JSON.stringify({
    eventId: `e-${seq}`,
    type: seq === 1 ? 'OrderPlaced' : 'OrderPaid',
    orderId: ORDER_ID,
    seq,
  });

beforeAll(async () => {
  vi.stubEnv('PARKING_TABLE', 'orderflow-test-parking');
  vi.stubEnv('FULFILLMENT_QUEUE_NAME', 'orderflow-test-fulfillment.fifo');
  vi.stubEnv('FULFILLMENT_DLQ_NAME', 'orderflow-test-fulfillment-dlq.fifo');
  vi.stubEnv('REVIEW_QUEUE_NAME', 'orderflow-test-review.fifo');
  vi.stubEnv('REVIEW_DLQ_NAME', 'orderflow-test-review-dlq.fifo');
  ({ handler } = (await import('../../functions/redrive-dlq.js')) as unknown as { handler: Handler });
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  sqs.reset();
  documentClient.reset();
  sqs
    .on(GetQueueUrlCommand, { QueueName: 'orderflow-test-fulfillment-dlq.fifo' })
    .resolves({ QueueUrl: DLQ_URL });
  sqs
    .on(GetQueueUrlCommand, { QueueName: 'orderflow-test-fulfillment.fifo' })
    .resolves({ QueueUrl: SOURCE_URL });
  documentClient.on(PutCommand).resolves({});
  documentClient.on(DeleteCommand).resolves({});
});

describe('redriveDlq', () => {
  it.each([
    [{ queue: 'billing' }, 'queue'],
    [{ queue: 'fulfillment', max: 0 }, 'max'],
    [{ queue: 'fulfillment', dryRun: 'yes' }, 'dryRun'],
    [{ queue: 'fulfillment', extra: true }, 'extra'],
    [{ queue: 'fulfillment', unpark: [] }, 'unpark'],
    [{ queue: 'fulfillment', unpark: [''] }, 'unpark[0]'],
  ])('refuses %j, naming the field %s, and touches nothing', async (event, field) => {
    // Act
    const running = handler(event, lambdaContext());

    // Assess
    await expect(running).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [expect.objectContaining({ field })],
    });
    expect(sqs.calls()).toHaveLength(0);
    expect(documentClient.calls()).toHaveLength(0);
  });

  it('sends a group back in seq order through staging, under the lock, and releases what it sent', async () => {
    // Prepare: the DLQ shows OrderPaid (seq 2) first; OrderPlaced appears once it is gone.
    const staged = [
      { messageId: 'm-2', seq: 2, body: envelope(2) },
      { messageId: 'm-1', seq: 1, body: envelope(1) },
    ];
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm-2',
            ReceiptHandle: 'r-2',
            Body: envelope(2),
            Attributes: { MessageGroupId: ORDER_ID },
          },
        ],
      })
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm-1',
            ReceiptHandle: 'r-1',
            Body: envelope(1),
            Attributes: { MessageGroupId: ORDER_ID },
          },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'sent' });
    documentClient
      .on(QueryCommand)
      .callsFake(
        (input: { KeyConditionExpression?: string; ExpressionAttributeValues?: Record<string, string> }) => {
          const pk = Object.values(input.ExpressionAttributeValues ?? {}).find(
            (value) => typeof value === 'string',
          );
          if (pk?.startsWith('STAGED#')) {
            return {
              Items: staged.map(({ messageId, seq, body }, index) => ({
                pk,
                sk: messageId,
                stagedAt: index,
                message: {
                  messageId,
                  groupId: ORDER_ID,
                  orderId: ORDER_ID,
                  seq,
                  redriveCount: 0,
                  body,
                  receiptHandle: `r-${seq}`,
                  attributes: {},
                },
              })),
            };
          }
          return { Items: [] };
        },
      );

    // Act
    const report = await handler({ queue: 'fulfillment' }, lambdaContext());

    // Assess
    expect(report.moved.map(({ seq, redriveCount }) => [seq, redriveCount])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    const sends = sqs.commandCalls(SendMessageCommand).map(({ args }) => args[0].input);
    expect(
      sends.map(({ QueueUrl, MessageGroupId, MessageDeduplicationId }) => [
        QueueUrl,
        MessageGroupId,
        MessageDeduplicationId,
      ]),
    ).toEqual([
      [SOURCE_URL, ORDER_ID, 'm-1:redrive:1'],
      [SOURCE_URL, ORDER_ID, 'm-2:redrive:1'],
    ]);
    expect(sends[0]?.MessageAttributes?.redriveCount).toEqual({ DataType: 'Number', StringValue: '1' });
    // Both left the DLQ, each staged in the parking table, and the lock was taken.
    expect(sqs.commandCalls(DeleteMessageCommand).map(({ args }) => args[0].input.ReceiptHandle)).toEqual([
      'r-2',
      'r-1',
    ]);
    const puts = documentClient.commandCalls(PutCommand).map(({ args }) => String(args[0].input.Item?.pk));
    expect(puts.filter((pk) => pk.startsWith('STAGED#'))).toHaveLength(2);
    expect(puts.some((pk) => pk.startsWith('LOCK#'))).toBe(true);
  });
});
