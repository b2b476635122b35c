import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { localTargetOf } from '../../local/commands/local-target.js';
import { redriveCommand } from '../../local/commands/redrive-command.js';
import type { RedriveReport } from '../../shared/app/redrive-dlq.js';
import { capturedIo } from '../support/command-harness.js';
import { messagesIn, postJson, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

const CUSTOMER = 'cust-redrive';

let cloud: LocalCloud;
let mqtt: MqttClient;
const statuses: Array<{ topic: string; status: unknown; seq: unknown }> = [];
/** Parked by the poison test, put back by the next one. */
const parkedIds: string[] = [];

/** POSTs to this test's cloud as the customer `as`. */
const post = (as: string, path: string, body: unknown) => postJson(cloud, path, body, { as });

/** Runs `npm run redrive -- <args>` against this test's cloud (the command's code, in this process). */
async function npmRunRedrive(...args: string[]): Promise<RedriveReport> {
  const io = capturedIo();
  const code = await redriveCommand(args, async () => localTargetOf(cloud), io);
  expect({ code, stderr: io.stderr }).toEqual({ code: 0, stderr: [] });
  return JSON.parse(io.stdout.join('\n')) as RedriveReport;
}

beforeAll(async () => {
  ({ cloud } = await startTestCloud({
    functionEnvironment: { processOrder: { ORDERFLOW_FAULT_CUSTOMER_ID: CUSTOMER } },
    maxVisibilityTimeoutSeconds: 2,
  }));
  mqtt = await connectAsync(cloud.endpoints.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
  mqtt.on('message', (topic, payload) => {
    const { status, seq } = JSON.parse(payload.toString('utf8')) as { status?: unknown; seq?: unknown };
    statuses.push({ topic, status, seq });
  });
  await mqtt.subscribeAsync(`orders/${CUSTOMER}/+/status`, { qos: 1 });
});

afterAll(async () => {
  await mqtt?.endAsync();
  await cloud?.stop();
});

describe('DLQ redrive on the local cloud', () => {
  it('brings an order whose events went to the DLQ back, in order, once the consumer is fixed', async () => {
    // Prepare: with the fault on, the order's events fail five times each and land in the fulfillment DLQ.
    const placed = await post(CUSTOMER, '/orders', {
      customerId: CUSTOMER,
      currency: 'EUR',
      items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1500 }],
    });
    const orderId = String(placed.body.orderId);
    await post(CUSTOMER, `/orders/${orderId}/pay`, { amount: placed.body.total });
    await post(CUSTOMER, `/orders/${orderId}/cancel`, { reason: 'too slow' });
    await waitFor(async () => (await messagesIn(cloud, 'FulfillmentDlq')) === 3, {
      timeoutMs: 80_000,
      intervalMs: 500,
      description: 'OrderPlaced, OrderPaid and OrderCancelled in the DLQ',
    });
    expect(statuses).toEqual([]);

    // Act: the fix ships (the switch is off from the next cold start), then `npm run redrive -- --queue fulfillment`.
    cloud.setFunctionEnvironment('processOrder', { ORDERFLOW_FAULT_CUSTOMER_ID: undefined });
    const report = await npmRunRedrive('--queue', 'fulfillment');

    // Assess
    expect(report.moved.map(({ groupId, seq, redriveCount }) => [groupId, seq, redriveCount])).toEqual([
      [orderId, 1, 1],
      [orderId, 2, 1],
      [orderId, 3, 1],
    ]);
    expect(report.parked).toEqual([]);
    expect(await messagesIn(cloud, 'FulfillmentDlq')).toBe(0);
    const seen = await waitFor(() => {
      const mine = statuses.filter((message) => message.topic === `orders/${CUSTOMER}/${orderId}/status`);
      return mine.length >= 3 ? mine : undefined;
    });
    // The cancel won the race with fulfillment while the consumer was down: PLACED, PAID, CANCELLED.
    expect(seen.map(({ status, seq }) => [status, seq])).toEqual([
      ['PLACED', 1],
      ['PAID', 2],
      ['CANCELLED', 3],
    ]);
  }, 120_000);

  it('parks a poison message after the redrive limit (3), and reports it', async () => {
    // Prepare: a consumer that keeps failing for one customer's orders.
    cloud.setFunctionEnvironment('processOrder', { ORDERFLOW_FAULT_CUSTOMER_ID: 'cust-poison' });
    const placed = await post('cust-poison', '/orders', {
      customerId: 'cust-poison',
      currency: 'EUR',
      items: [{ sku: 'PEN-7', quantity: 1, unitPrice: 250 }],
    });
    const inDlq = { timeoutMs: 60_000, intervalMs: 500, description: 'the poison message in the DLQ' };
    await waitFor(async () => (await messagesIn(cloud, 'FulfillmentDlq')) === 1, inDlq);

    // Act: `npm run redrive` after each return to the DLQ: three times it goes back, the fourth it is parked (limit 3).
    const reports = [];
    for (let redrive = 1; redrive <= 3; redrive += 1) {
      reports.push(await npmRunRedrive('--queue', 'fulfillment'));
      await waitFor(async () => (await messagesIn(cloud, 'FulfillmentDlq')) === 1, inDlq);
    }
    const last = await npmRunRedrive('--queue', 'fulfillment');

    // Assess
    expect(
      reports.map((report) => report.moved.map(({ groupId, redriveCount }) => [groupId, redriveCount])),
    ).toEqual([[[placed.body.orderId, 1]], [[placed.body.orderId, 2]], [[placed.body.orderId, 3]]]);
    expect(last.moved).toEqual([]);
    expect(last.parked).toEqual([
      { messageId: expect.any(String), groupId: placed.body.orderId, reason: 'redriven 3 times (limit 3)' },
    ]);
    parkedIds.push(...last.parked.map(({ messageId }) => messageId));
    expect(await messagesIn(cloud, 'FulfillmentDlq')).toBe(0);
  }, 240_000);

  it('puts the parked message back once its fix shipped (--unpark), and the order goes on', async () => {
    // Prepare: the message parked by the test before; its consumer is fixed.
    const parkedId = await waitFor(() => parkedIds[0]);
    await mqtt.subscribeAsync('orders/cust-poison/+/status', { qos: 1 });
    cloud.setFunctionEnvironment('processOrder', { ORDERFLOW_FAULT_CUSTOMER_ID: undefined });

    // Act
    const report = await npmRunRedrive('--queue', 'fulfillment', '--unpark', parkedId);

    // Assess
    expect(report.unparked).toEqual([{ messageId: parkedId, groupId: expect.any(String), seq: 1 }]);
    expect(report.moved.map(({ messageId, redriveCount }) => [messageId, redriveCount])).toEqual([
      [parkedId, 1],
    ]);
    const placed = await waitFor(() =>
      statuses.find(
        (message) => message.topic.startsWith('orders/cust-poison/') && message.status === 'PLACED',
      ),
    );
    expect(placed.seq).toBe(1);
    expect(await messagesIn(cloud, 'FulfillmentDlq')).toBe(0);
  }, 60_000);
});
