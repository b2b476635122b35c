import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { activityRecords, putActivity as putActivityOn } from '../support/activity-records.js';
import { postJson, refOf, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

const FAULTY_CUSTOMER = 'cust-analytics-fault';

let cloud: LocalCloud;
let mqtt: MqttClient;
const received: Array<{ topic: string; payload: Record<string, unknown> }> = [];

/** POSTs to this test's cloud as the customer `as`. */
const post = (as: string, path: string, body: unknown) => postJson(cloud, path, body, { as });

/**
 * Status changes put on the stream directly, as processOrder would, under one partition key by default so that they
 * share a shard: a window closes when a later record of its region reaches the consumer, and records on another
 * shard may reach it later (they are counted, but the summary went out).
 */
const putActivity = (records: ActivityRecord[], partitionKey = 'e2e-analytics') =>
  putActivityOn(cloud, records, partitionKey);

const activity = activityRecords('e2e-analytics', { customerId: 'cust-analytics', region: 'zz-test' });

beforeAll(async () => {
  ({ cloud } = await startTestCloud({
    functionEnvironment: { aggregateAnalytics: { ORDERFLOW_FAULT_CUSTOMER_ID: FAULTY_CUSTOMER } },
  }));
  mqtt = await connectAsync(cloud.endpoints.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
  mqtt.on('message', (topic, payload) =>
    received.push({ topic, payload: JSON.parse(payload.toString('utf8')) as Record<string, unknown> }),
  );
  await mqtt.subscribeAsync(['orders/+/+/status', 'analytics/orders/summary'], { qos: 1 });
});

afterAll(async () => {
  await mqtt?.endAsync();
  await cloud?.stop();
});

describe('analytics and notifications on the local cloud', () => {
  it('tells a subscriber of orders/+/+/status that an order is PLACED, PAID and FULFILLED, in that order', async () => {
    // Act
    const placed = await post('cust-watcher', '/orders', {
      customerId: 'cust-watcher',
      currency: 'EUR',
      items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1500 }],
    });
    const orderId = String(placed.body.orderId);
    await post('cust-watcher', `/orders/${orderId}/pay`, { amount: placed.body.total });

    // Assess
    const topic = `orders/cust-watcher/${orderId}/status`;
    const statuses = await waitFor(() => {
      const seen = received.filter((message) => message.topic === topic).map((message) => message.payload);
      return seen.length >= 3 ? seen : undefined;
    });
    expect(statuses.map(({ status, seq }) => [status, seq])).toEqual([
      ['PLACED', 1],
      ['PAID', 2],
      ['FULFILLED', 3],
    ]);
    expect(Object.keys(statuses[0] ?? {}).sort()).toEqual([
      'correlationId',
      'occurredAt',
      'orderId',
      'seq',
      'status',
    ]);
  });

  it('publishes the figures of a closed window equal to what was sent, each record counted once', async () => {
    // Prepare: one minute of one region, with a record sent twice (a producer retry).
    const paid = activity({
      status: 'PAID',
      previousStatus: 'PLACED',
      total: 4500,
      occurredAt: '2026-01-01T10:00:20.000Z',
    });
    const window = [
      activity({}),
      activity({ occurredAt: '2026-01-01T10:00:59.999Z' }),
      paid,
      paid,
      activity({ status: 'CANCELLED', previousStatus: 'PLACED', occurredAt: '2026-01-01T10:00:30.000Z' }),
    ];

    // Act: the window, then a record of the next minute closes it.
    await putActivity(window);
    await putActivity([activity({ occurredAt: '2026-01-01T10:01:05.000Z' })]);

    // Assess
    const summary = await waitFor(() =>
      received.find(
        (message) => message.topic === 'analytics/orders/summary' && message.payload.region === 'zz-test',
      ),
    );
    expect(summary.payload).toEqual({
      windowStart: '2026-01-01T10:00:00.000Z',
      windowEnd: '2026-01-01T10:01:00.000Z',
      region: 'zz-test',
      placed: 2,
      paid: 1,
      cancelled: 1,
      fulfilled: 0,
      shipped: 0,
      delivered: 0,
      revenue: 4500,
    });
  });

  it('sends the metadata of a batch that keeps failing to activity-failures', async () => {
    // Act
    const [sequenceNumber] = await putActivity([
      activity({ customerId: FAULTY_CUSTOMER, region: 'zz-fault' }),
    ]);

    // Assess
    const queueUrl = refOf(cloud, 'ActivityFailuresQueue');
    const failure = await waitFor(
      async () => {
        const { Messages = [] } = await cloud.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) {
          await cloud.clients.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
        return Messages.map((message) => JSON.parse(message.Body ?? '{}') as Record<string, unknown>).find(
          (body) =>
            (body.KinesisBatchInfo as { startSequenceNumber?: string }).startSequenceNumber ===
            sequenceNumber,
        );
      },
      { timeoutMs: 40_000, intervalMs: 200, description: 'the failure record in activity-failures' },
    );
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
      KinesisBatchInfo: {
        startSequenceNumber: sequenceNumber,
        endSequenceNumber: sequenceNumber,
        batchSize: 1,
        streamArn: expect.stringContaining('order-activity'),
      },
    });
  }, 60_000);
});
