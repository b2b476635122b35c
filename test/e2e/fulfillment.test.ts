import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { readStreamData } from '../../local/load/observe.js';
import { getJson, postJson, refOf, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

const FAULTY_CUSTOMER = 'cust-faulty';

let cloud: LocalCloud;
let logs: string[];
let mqtt: MqttClient;
const reviews: Array<Record<string, unknown>> = [];

const order = (customerId: string, unitPrice = 2500) => ({
  customerId,
  currency: 'EUR',
  region: 'eu-west',
  items: [{ sku: 'BOOK-1', quantity: 2, unitPrice }],
});

/** POSTs to this test's cloud as the customer `as`. */
const post = (as: string, path: string, body: unknown) => postJson(cloud, path, body, { as });

async function placeAndPay(customerId: string): Promise<string> {
  const placed = await post(customerId, '/orders', order(customerId));
  const orderId = String(placed.body.orderId);
  const paid = await post(customerId, `/orders/${orderId}/pay`, { amount: placed.body.total });
  expect(paid.status).toBe(202);
  return orderId;
}

async function statusOf(orderId: string): Promise<unknown> {
  const response = await getJson(cloud, `/orders/${orderId}`, { as: 'ops', scopes: ['orders/admin'] });
  return response.body.status;
}

async function activityOf(orderId: string) {
  const records = (await readStreamData(cloud.clients.kinesis, refOf(cloud, 'OrderActivityStream'))).map(
    (data) => JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>,
  );
  return records.filter((record) => record.orderId === orderId);
}

/**
 * The stream is written at least once (a redelivery before the cursor moved records a change again): like any
 * consumer, drop repeats by `eventId`, keeping the first.
 */
async function distinctActivityOf(orderId: string) {
  const seen = new Set<unknown>();
  return (await activityOf(orderId)).filter(
    (record) => !seen.has(record.eventId) && seen.add(record.eventId),
  );
}

beforeAll(async () => {
  ({ cloud, logs } = await startTestCloud({
    functionEnvironment: { processOrder: { ORDERFLOW_FAULT_CUSTOMER_ID: FAULTY_CUSTOMER } },
    maxVisibilityTimeoutSeconds: 2,
  }));
  mqtt = await connectAsync(cloud.endpoints.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
  mqtt.on('message', (_topic, payload) =>
    reviews.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>),
  );
  await mqtt.subscribeAsync('ops/reviews', { qos: 1 });
});

afterAll(async () => {
  await mqtt?.endAsync();
  await cloud?.stop();
});

describe('fan-out and fulfillment on the local cloud', () => {
  it('fulfils a paid order and records PLACED, PAID, FULFILLED on the stream in order', async () => {
    // Act
    const orderId = await placeAndPay('cust-happy');

    // Assess
    await waitFor(async () => (await statusOf(orderId)) === 'FULFILLED', {
      description: 'the order is FULFILLED',
    });
    const activity = await waitFor(async () => {
      const records = await distinctActivityOf(orderId);
      return records.length >= 3 ? records : undefined;
    });
    expect(activity.map((record) => [record.status, record.previousStatus, record.seq])).toEqual([
      ['PLACED', null, 1],
      ['PAID', 'PLACED', 2],
      ['FULFILLED', 'PAID', 3],
    ]);
  });

  it('sends an order of total ≥ 100000 to review and a smaller one not', async () => {
    // Act
    const big = await post('cust-big', '/orders', order('cust-big', 60_000));
    const small = await post('cust-small', '/orders', order('cust-small', 40_000));

    // Assess
    const bigId = String(big.body.orderId);
    const smallId = String(small.body.orderId);
    await waitFor(() => reviews.find((review) => review.orderId === bigId), {
      description: 'the review of the big order',
    });
    const reviewsTable = refOf(cloud, 'ReviewsTable');
    const stored = await waitFor(async () => {
      const { Item } = await cloud.clients.dynamodb.send(
        new GetItemCommand({ TableName: reviewsTable, Key: { orderId: { S: bigId } }, ConsistentRead: true }),
      );
      return Item;
    });
    expect(stored.total).toEqual({ N: '120000' });
    // The small order went through fulfillment (its PLACED is on the stream) but never reached review.
    await waitFor(async () => (await activityOf(smallId)).length >= 1, {
      description: 'the small order is processed',
    });
    const notStored = await cloud.clients.dynamodb.send(
      new GetItemCommand({ TableName: reviewsTable, Key: { orderId: { S: smallId } }, ConsistentRead: true }),
    );
    expect(notStored.Item).toBeUndefined();
    expect(reviews.some((review) => review.orderId === smallId)).toBe(false);
  });

  it('applies the same event once when SNS delivers it twice', async () => {
    // Prepare
    const placed = await post('cust-twice', '/orders', order('cust-twice'));
    const orderId = String(placed.body.orderId);
    const placedEvent = await waitFor(async () => (await activityOf(orderId))[0]);

    // Act: the same envelope again, with a fresh deduplication id so that SNS and SQS let it through.
    const envelope = {
      eventId: placedEvent.eventId,
      type: 'OrderPlaced',
      orderId,
      customerId: 'cust-twice',
      seq: 1,
      occurredAt: placed.body.createdAt,
      data: {
        currency: 'EUR',
        region: 'eu-west',
        items: order('cust-twice').items,
        total: placed.body.total,
      },
    };
    await cloud.clients.sns.send(
      new PublishCommand({
        TopicArn: refOf(cloud, 'OrderEventsTopic'),
        Message: JSON.stringify(envelope),
        MessageGroupId: orderId,
        MessageDeduplicationId: `${orderId}:1:again`,
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: 'OrderPlaced' },
          total: { DataType: 'Number', StringValue: String(placed.body.total) },
          currency: { DataType: 'String', StringValue: 'EUR' },
          region: { DataType: 'String', StringValue: 'eu-west' },
        },
      }),
    );
    await post('cust-twice', `/orders/${orderId}/pay`, { amount: placed.body.total });

    // Assess: the pay came after the repeat in the same group, so once it is fulfilled the repeat was consumed.
    await waitFor(async () => (await statusOf(orderId)) === 'FULFILLED');
    const activity = await waitFor(async () => {
      const records = await distinctActivityOf(orderId);
      return records.length >= 3 ? records : undefined;
    });
    expect(activity.map((record) => record.status)).toEqual(['PLACED', 'PAID', 'FULFILLED']);
  });

  it('sends a failing order’s events to the DLQ after maxReceiveCount in group order, and nothing else stalls', async () => {
    // Act
    const faultyId = await placeAndPay(FAULTY_CUSTOMER);
    const healthyId = await placeAndPay('cust-healthy');

    // Assess: the healthy order flows while the faulty one is retried.
    await waitFor(async () => (await statusOf(healthyId)) === 'FULFILLED', {
      description: 'the healthy order',
    });
    const dlqUrl = refOf(cloud, 'FulfillmentDlq');
    const deadLetters: Array<{ body: Record<string, unknown>; groupId?: string }> = [];
    await waitFor(
      async () => {
        const { Messages = [] } = await cloud.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: 10,
            // Short polls: fauxqs can hand a message that reaches the DLQ during a long poll to a finished waiter.
            WaitTimeSeconds: 0,
            VisibilityTimeout: 60,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        for (const message of Messages) {
          deadLetters.push({
            body: JSON.parse(message.Body ?? '{}'),
            groupId: message.Attributes?.MessageGroupId,
          });
          // A FIFO group yields its next message only once this one is gone.
          await cloud.clients.sqs.send(
            new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
        return deadLetters.length >= 2;
      },
      { timeoutMs: 45_000, intervalMs: 250, description: 'both events of the faulty order in the DLQ' },
    );
    expect(deadLetters.map((letter) => [letter.groupId, letter.body.type, letter.body.seq])).toEqual([
      [faultyId, 'OrderPlaced', 1],
      [faultyId, 'OrderPaid', 2],
    ]);
    expect(await statusOf(faultyId)).toBe('PAID');
    expect(await activityOf(faultyId)).toEqual([]);
    // The local cloud said so while it happened: a status line of the source with failed records and its DLQ.
    const statusLine = await waitFor(
      () => logs.find((line) => /fulfillment\.fifo → \S+processOrder .* [1-9]\d* failed, /.test(line)),
      { timeoutMs: 10_000, description: "a status line with processOrder's failed records" },
    );
    expect(statusLine).toMatch(/ retried, .* \d+ in \S+fulfillment-dlq\.fifo$/);
  }, 60_000);
});
