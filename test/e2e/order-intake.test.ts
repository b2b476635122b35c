import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { getJson, postJson, refOf, startTestCloud, tapTopic } from '../support/local-cloud.js';

let cloud: LocalCloud;
let tap: Awaited<ReturnType<typeof tapTopic>>;

const orderBody = {
  customerId: 'cust-e2e',
  currency: 'EUR',
  items: [
    { sku: 'BOOK-1', quantity: 2, unitPrice: 1999 },
    { sku: 'PEN-7', quantity: 1, unitPrice: 250 },
  ],
};

/** POSTs to this test's cloud. */
const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  postJson(cloud, path, body, { as: 'cust-e2e' }, headers);

async function storedOrder(orderId: string) {
  const { Item } = await cloud.clients.dynamodb.send(
    new GetItemCommand({
      TableName: refOf(cloud, 'OrdersTable'),
      Key: { orderId: { S: orderId } },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : unmarshall(Item);
}

beforeAll(async () => {
  ({ cloud } = await startTestCloud());
  tap = await tapTopic(cloud, refOf(cloud, 'OrderEventsTopic'), 'e2e-intake-tap');
});

afterAll(async () => {
  await cloud?.stop();
});

describe('the order intake on the local cloud', () => {
  it('stores a placed order in DynamoDB and publishes OrderPlaced to the FIFO topic with its group, dedup id and attributes', async () => {
    // Act
    const created = await post('/orders', orderBody);

    // Assess
    expect(created.status).toBe(201);
    const orderId = String(created.body.orderId);
    expect(created.headers.get('location')).toBe(`/orders/${orderId}`);
    expect(await storedOrder(orderId)).toMatchObject({ orderId, status: 'PLACED', version: 1, total: 4248 });
    expect((await storedOrder(orderId))?.pendingEvent).toBeUndefined();

    const [message, ...more] = await tap.receive(1, { orderId });
    expect(more).toEqual([]);
    expect(message?.Attributes).toMatchObject({
      MessageGroupId: orderId,
      MessageDeduplicationId: `${orderId}:1`,
    });
    expect(message?.MessageAttributes).toEqual({
      eventType: { DataType: 'String', StringValue: 'OrderPlaced' },
      total: { DataType: 'Number', StringValue: '4248' },
      currency: { DataType: 'String', StringValue: 'EUR' },
      region: { DataType: 'String', StringValue: 'eu-west' },
      correlationId: { DataType: 'String', StringValue: created.headers.get('x-correlation-id') },
    });
    expect(JSON.parse(message?.Body ?? '{}')).toMatchObject({
      type: 'OrderPlaced',
      orderId,
      customerId: 'cust-e2e',
      seq: 1,
      data: { total: 4248, currency: 'EUR', region: 'eu-west' },
    });
  });

  it('serves the order over GET and cancels it once, publishing one event per change in seq order', async () => {
    // Prepare
    const created = await post('/orders', orderBody);
    const orderId = String(created.body.orderId);
    await tap.receive(1, { orderId });

    // Act
    const fetched = await getJson(cloud, `/orders/${orderId}`, { as: 'cust-e2e' });
    const cancelled = await post(`/orders/${orderId}/cancel`, { reason: 'changed my mind' });
    const cancelledAgain = await post(`/orders/${orderId}/cancel`, {});
    const paidAfterCancel = await post(`/orders/${orderId}/pay`, { amount: 4248 });

    // Assess
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    expect([cancelled.status, cancelled.body.status, cancelled.body.version]).toEqual([202, 'CANCELLED', 2]);
    expect(cancelledAgain.status).toBe(409);
    expect(paidAfterCancel.status).toBe(409);
    const messages = await tap.receive(2, { orderId, timeoutMs: 3_000 });
    expect(messages.map((message) => message.Attributes?.MessageDeduplicationId)).toEqual([`${orderId}:2`]);
    expect(await storedOrder(orderId)).toMatchObject({ status: 'CANCELLED', version: 2 });
  });

  it('replays a request sent again with the same Idempotency-Key, publishing nothing new', async () => {
    // Prepare
    const key = `e2e-${Date.now()}`;

    // Act
    const first = await post('/orders', orderBody, { 'idempotency-key': key });
    const again = await post('/orders', orderBody, { 'idempotency-key': key });
    const misuse = await post('/orders', { ...orderBody, currency: 'USD' }, { 'idempotency-key': key });

    // Assess
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(misuse.status).toBe(422);
    const messages = await tap.receive(2, { orderId: String(first.body.orderId), timeoutMs: 3_000 });
    expect(messages.map((message) => message.Attributes?.MessageDeduplicationId)).toEqual([
      `${first.body.orderId}:1`,
    ]);
  });

  it('answers bad input with a problem and lets nothing reach the topic', async () => {
    // Act
    const invalid = await post('/orders', { ...orderBody, customerId: 'cust/42' });
    const malformed = await post('/orders', '{"customerId":');
    const unknown = await getJson(cloud, '/orders/00000000-0000-4000-8000-000000000000', { as: 'cust-e2e' });

    // Assess
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toBe('application/problem+json');
    expect(invalid.body.errors).toEqual([expect.objectContaining({ field: 'customerId' })]);
    expect(malformed.status).toBe(400);
    expect(unknown.status).toBe(404);
    expect(await tap.receive(1, { timeoutMs: 2_000 })).toEqual([]);
  });
});
