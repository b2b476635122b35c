import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { invokeLocalFunction } from '../support/lambda-invoke.js';
import { getJson, postJson, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

/**
 * IoT Core both ways, end to end: a real MQTT client plays the warehouse scanner, the local rules engine runs the
 * template's WarehouseScansRule on its publishes and invokes recordScan asynchronously (Lambda's retries shortened),
 * and the order moves on through the same pipeline, its statuses heard on `orders/{customerId}/{orderId}/status`.
 */

const SITE = 'w1';
const RULE = 'orderflow_local_warehouse_scans';

let cloud: LocalCloud;
let scanner: MqttClient;
const statuses: Array<{ orderId: string; status: string; seq: number }> = [];
const refusals: Array<{ topic: string; scanId?: string; orderId?: string; reason: string }> = [];

beforeAll(async () => {
  ({ cloud } = await startTestCloud({ asyncRetryDelaysMs: [200, 400] }));
  scanner = await connectAsync(cloud.endpoints.mqtt, { clientId: `scanner-${SITE}` });
  scanner.on('message', (topic, payload) => {
    const message = JSON.parse(payload.toString('utf8'));
    if (topic.endsWith('/scans/rejected')) refusals.push({ topic, ...message });
    else statuses.push(message);
  });
  await scanner.subscribeAsync(['orders/+/+/status', 'warehouse/+/scans/rejected'], { qos: 1 });
}, 120_000);

afterAll(async () => {
  await scanner?.endAsync();
  await cloud?.stop();
});

/** Places and pays an order for a customer of its own, and waits until it is FULFILLED. */
async function fulfilledOrder(): Promise<{ orderId: string; customerId: string }> {
  const customerId = `cust-${randomUUID().slice(0, 8)}`;
  const placed = await postJson(
    cloud,
    '/orders',
    { customerId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1500 }] },
    { as: customerId },
  );
  const orderId = String(placed.body.orderId);
  await postJson(cloud, `/orders/${orderId}/pay`, { amount: placed.body.total }, { as: customerId });
  await waitForStatus(orderId, 'FULFILLED');
  return { orderId, customerId };
}

/** What a scanner publishes; `extra` overrides or adds fields. */
async function scan(
  orderId: string,
  kind: string,
  scanId = randomUUID(),
  extra: Record<string, unknown> = {},
) {
  const message = { scanId, orderId, kind, at: new Date().toISOString(), ...extra };
  await scanner.publishAsync(`warehouse/${SITE}/scans`, JSON.stringify(message), { qos: 1 });
  return scanId;
}

const statusesOf = (orderId: string) => {
  const seen = new Set<number>();
  return statuses.filter(
    (status) => status.orderId === orderId && !seen.has(status.seq) && seen.add(status.seq),
  );
};

const waitForStatus = (orderId: string, status: string) =>
  waitFor(() => statusesOf(orderId).some((heard) => heard.status === status), {
    timeoutMs: 30_000,
    description: `${status} of ${orderId} on its status topic`,
  });

const waitForRefusal = (scanId: string) =>
  waitFor(() => refusals.find((refusal) => refusal.scanId === scanId), {
    timeoutMs: 15_000,
    description: `the refusal of scan ${scanId} on warehouse/${SITE}/scans/rejected`,
  });

describe('warehouse scans through the IoT rules engine', () => {
  it('takes an order placed, paid, shipped and delivered through every status, in order, on its status topic', async () => {
    // Prepare
    const { orderId, customerId } = await fulfilledOrder();

    // Act
    await scan(orderId, 'shipped', undefined, { carrier: 'DHL', trackingNo: 'JD014600003828' });
    await waitForStatus(orderId, 'SHIPPED');
    await scan(orderId, 'delivered');
    await waitForStatus(orderId, 'DELIVERED');

    // Assess
    expect(statusesOf(orderId).map(({ status }) => status)).toEqual([
      'PLACED',
      'PAID',
      'FULFILLED',
      'SHIPPED',
      'DELIVERED',
    ]);
    const order = await getJson(cloud, `/orders/${orderId}`, { as: customerId });
    expect(order.body).toMatchObject({ status: 'DELIVERED', version: 5 });
  });

  it('moves an order once for a scan sent ten times at once, and once for a delivered scan sent twice', async () => {
    // Prepare
    const { orderId, customerId } = await fulfilledOrder();
    const scanId = randomUUID();

    // Act: the same scan, ten times at once.
    await Promise.all(Array.from({ length: 10 }, () => scan(orderId, 'shipped', scanId)));
    await waitForStatus(orderId, 'SHIPPED');
    const delivered = randomUUID();
    await scan(orderId, 'delivered', delivered);
    await scan(orderId, 'delivered', delivered);
    await waitForStatus(orderId, 'DELIVERED');

    // Assess
    const order = await getJson(cloud, `/orders/${orderId}`, { as: customerId });
    expect(order.body).toMatchObject({ status: 'DELIVERED', version: 5 });
    expect(statusesOf(orderId).map(({ status }) => status)).toEqual([
      'PLACED',
      'PAID',
      'FULFILLED',
      'SHIPPED',
      'DELIVERED',
    ]);
    expect(refusals.filter((refusal) => refusal.scanId === scanId || refusal.scanId === delivered)).toEqual(
      [],
    );
  });

  it('keeps a delivered scan that came before the shipped one in scan-failures, and delivers the order once it is sent back', async () => {
    // Prepare
    const { orderId } = await fulfilledOrder();
    const { QueueUrl: failures } = await cloud.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: 'orderflow-local-scan-failures' }),
    );

    // Act: delivered first — recordScan fails it three times (Lambda's retries), then Lambda keeps it.
    const early = await scan(orderId, 'delivered');
    const kept = await waitFor(
      async () => {
        const { Messages = [] } = await cloud.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: failures, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        return Messages.find((message) => JSON.parse(message.Body ?? '{}').requestPayload?.scanId === early);
      },
      { timeoutMs: 30_000, description: `scan ${early} in scan-failures` },
    );
    await scan(orderId, 'shipped');
    await waitForStatus(orderId, 'SHIPPED');
    const record = JSON.parse(kept.Body ?? '{}');
    // Sent back as an asynchronous invocation, as `npm run device -- retry` does.
    await invokeLocalFunction(cloud, 'recordScan', record.requestPayload, 'Event');
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: failures, ReceiptHandle: kept.ReceiptHandle }),
    );
    await waitForStatus(orderId, 'DELIVERED');

    // Assess
    expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record.responsePayload).toMatchObject({ errorType: 'ScanTooEarlyError' });
    expect(record.requestPayload).toMatchObject({ scanId: early, orderId, kind: 'delivered', siteId: SITE });
    expect(statusesOf(orderId).map(({ status }) => status)).toEqual([
      'PLACED',
      'PAID',
      'FULFILLED',
      'SHIPPED',
      'DELIVERED',
    ]);
  }, 60_000);

  it('refuses a malformed scan and a scan of a cancelled order, with their reasons, on the rejected topic', async () => {
    // Prepare: an order cancelled before it was paid.
    const customerId = `cust-${randomUUID().slice(0, 8)}`;
    const placed = await postJson(
      cloud,
      '/orders',
      { customerId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1500 }] },
      { as: customerId },
    );
    const cancelledId = String(placed.body.orderId);
    await postJson(cloud, `/orders/${cancelledId}/cancel`, {}, { as: customerId });
    await waitForStatus(cancelledId, 'CANCELLED');

    // Act
    const malformed = await scan('o-1', 'shipped', undefined, { at: 'yesterday', colour: 'red' });
    const ofCancelled = await scan(cancelledId, 'shipped');

    // Assess
    const refusedMalformed = await waitForRefusal(malformed);
    const refusedCancelled = await waitForRefusal(ofCancelled);
    expect(refusedMalformed.topic).toBe(`warehouse/${SITE}/scans/rejected`);
    expect(refusedMalformed.reason).toMatch(/^not a scan: .*at must be an ISO 8601 date/);
    expect(refusedMalformed.reason).toMatch(/colour/);
    expect(refusedCancelled).toMatchObject({ orderId: cancelledId });
    expect(refusedCancelled.reason).toMatch(/CANCELLED/);
    expect(statusesOf(cancelledId).map(({ status }) => status)).toEqual(['PLACED', 'CANCELLED']);
  });

  it('does not fire for a message on another topic or of another kind', async () => {
    // Prepare
    const before = cloud.topicRulesFired()[RULE] ?? 0;

    // Act: two messages the rule must ignore, then one it must take (an unknown order: refused).
    await scanner.publishAsync(
      `warehouse/${SITE}/inventory`,
      JSON.stringify({
        scanId: 'other-topic',
        orderId: 'o-1',
        kind: 'shipped',
        at: new Date().toISOString(),
      }),
      { qos: 1 },
    );
    const otherKind = await scan('o-1', 'lost');
    const marker = await scan('o-unknown', 'shipped');
    await waitForRefusal(marker);

    // Assess: the rules engine evaluates publishes in order, so the two before the marker were evaluated.
    expect((cloud.topicRulesFired()[RULE] ?? 0) - before).toBe(1);
    expect(refusals.filter(({ scanId }) => scanId === 'other-topic' || scanId === otherKind)).toEqual([]);
    expect(refusals.find(({ scanId }) => scanId === marker)?.reason).toBe('unknown order');
  });
});
