import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { Order } from '../../shared/core/order.js';
import { lambdaContext } from '../support/api-event.js';
import {
  CREATE_ORDER_TOTAL,
  ISO_TIMESTAMP_PATTERN,
  orderItem,
  orderPlacedEvent,
  storedOrder,
  UUID_PATTERN,
} from '../support/order-fixtures.js';
import type { ParsedResponse } from '../support/order-world.js';
import {
  dynamoDbThrottling,
  expectServiceUnavailable,
  IDEMPOTENCY_TABLE,
  invoke,
  ORDERS_TABLE,
  OrderWorld,
  orderCommandEvent,
  orderEventPublish,
  snsThrottling,
  useOrderWorld,
} from '../support/order-world.js';

const world = new OrderWorld();
const handlers = useOrderWorld(world);

const ORDER_ID = '3f2c9a4e-7b1d-4c8e-9a0f-5d6e7f8a9b0c';
const IDEMPOTENCY_KEY = 'pay-2024-05-01.0001';
/** What a keyed pay leaves on the order item, so that a retry with the key is recognised. */
const PAID_WITH_KEY = {
  lastCommand: { type: 'pay', idempotencyKey: IDEMPOTENCY_KEY },
  commandKeys: { pay: IDEMPOTENCY_KEY },
} as const;

function payOrder(
  orderId: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ParsedResponse> {
  return invoke(
    handlers.payOrder,
    orderCommandEvent('pay', orderId, body, headers),
    lambdaContext({ functionName: 'orderflow-test-payOrder' }),
  );
}

/** The order the pay command makes of a PLACED order. */
function paidOrder(placed: Order): Order {
  return { ...placed, status: 'PAID', version: 2, updatedAt: expect.stringMatching(ISO_TIMESTAMP_PATTERN) };
}

/** The `OrderPaid` of a pay request; its correlation id is the request id when the request sent none. */
function orderPaidEvent(order: { orderId: string; customerId: string }, correlationId: unknown) {
  return {
    eventId: expect.stringMatching(UUID_PATTERN),
    type: 'OrderPaid',
    orderId: order.orderId,
    customerId: order.customerId,
    seq: 2,
    occurredAt: expect.stringMatching(ISO_TIMESTAMP_PATTERN),
    correlationId,
    data: { amount: CREATE_ORDER_TOTAL },
  };
}

describe('payOrder (POST /orders/{orderId}/pay)', () => {
  it('refuses an amount that differs from the total with a 422 problem, writing and publishing nothing', async () => {
    // Prepare
    const placed = world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL - 1 });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toEqual({
      type: '/problems/amount-mismatch',
      title: 'The amount does not match the order total',
      status: 422,
      detail: `The payment of ${CREATE_ORDER_TOTAL - 1} does not match the order total of ${CREATE_ORDER_TOTAL}.`,
      instance: `/orders/${ORDER_ID}/pay`,
      orderId: ORDER_ID,
    });
    expect(world.timeline()).toEqual(['orders.Get']);
    expect(world.orders.item(ORDER_ID)).toEqual(placed);
  });

  it('pays the order: PAID at version 2, written on version 1, OrderPaid published as seq 2', async () => {
    // Prepare
    const placed = world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual(paidOrder(placed));
    expect(response.body.updatedAt).not.toBe(placed.updatedAt);
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(GetCommand, {
      TableName: ORDERS_TABLE,
      Key: { orderId: ORDER_ID },
      ConsistentRead: true,
    });
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: ORDERS_TABLE,
      Item: { ...response.body, pendingEvent: orderPaidEvent(placed, response.headers['x-correlation-id']) },
      ConditionExpression: '#version = :expectedVersion',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expectedVersion': 1 },
    });
    expect(world.sns).toHaveReceivedCommandExactlyOnceWith(
      PublishCommand,
      orderEventPublish(ORDER_ID, 2, 'OrderPaid', String(response.headers['x-correlation-id'])),
    );
    expect(world.publishedEvents()).toEqual([
      world.documentClient.commandCalls(PutCommand)[0]?.args[0].input.Item?.pendingEvent,
    ]);
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: ORDERS_TABLE,
      Key: { orderId: ORDER_ID },
      UpdateExpression: 'REMOVE pendingEvent',
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': 2 },
    });
    expect(world.timeline()).toEqual(['orders.Get', 'orders.Put', 'sns.Publish', 'orders.Update']);
    expect(world.orders.item(ORDER_ID)).toEqual(response.body);
  });

  it.each(['PAID', 'FULFILLED', 'CANCELLED', 'SHIPPED', 'DELIVERED'] as const)(
    'refuses to pay an order that is %s with a 409, writing and publishing nothing',
    async (status) => {
      // Prepare
      const order = world.seedOrder(ORDER_ID, status);

      // Act
      const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL });

      // Assess
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body).toEqual({
        type: '/problems/transition-not-allowed',
        title: 'Not allowed in this status',
        status: 409,
        detail: `Order '${ORDER_ID}' is ${status}: it can be paid only while it is PLACED, which it can no longer be.`,
        instance: `/orders/${ORDER_ID}/pay`,
        orderId: ORDER_ID,
      });
      expect(world.timeline()).toEqual(['orders.Get']);
      expect(world.sns).not.toHaveReceivedAnyCommand();
      expect(world.orders.item(ORDER_ID)).toEqual(order);
    },
  );

  it('answers 404 for an order that does not exist', async () => {
    // Act
    const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      type: '/problems/order-not-found',
      status: 404,
      orderId: ORDER_ID,
    });
    expect(world.timeline()).toEqual(['orders.Get']);
  });

  it('answers 409 when another writer changed the order between the read and the write', async () => {
    // Prepare
    const placed = storedOrder({ orderId: ORDER_ID, status: 'PLACED' });
    world.seedOrder(ORDER_ID, 'CANCELLED');
    world.documentClient.on(GetCommand).resolves({ Item: orderItem(placed) });

    // Act
    const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL });

    // Assess
    expect(response.statusCode).toBe(409);
    expect(response.body).toMatchObject({
      type: '/problems/concurrent-update',
      status: 409,
      orderId: ORDER_ID,
    });
    expect(world.documentClient).toHaveReceivedCommandWith(PutCommand, {
      ExpressionAttributeValues: { ':expectedVersion': 1 },
    });
    expect(world.sns).not.toHaveReceivedAnyCommand();
    expect(world.orders.item(ORDER_ID)).toMatchObject({ status: 'CANCELLED' });
  });

  it('replays a payment with the same Idempotency-Key without paying or publishing again', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');
    const first = await payOrder(
      ORDER_ID,
      { amount: CREATE_ORDER_TOTAL },
      { 'idempotency-key': IDEMPOTENCY_KEY },
    );

    // Act
    const replay = await payOrder(
      ORDER_ID,
      { amount: CREATE_ORDER_TOTAL },
      { 'idempotency-key': IDEMPOTENCY_KEY },
    );

    // Assess
    expect(first.statusCode).toBe(202);
    expect(replay.statusCode).toBe(202);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(world.documentClient).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('refuses the same Idempotency-Key on another order with a 422, paying nothing there', async () => {
    // Prepare
    const otherOrderId = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
    world.seedOrder(ORDER_ID, 'PLACED');
    const other = storedOrder({ orderId: otherOrderId, status: 'PLACED' });
    world.orders.seed(orderItem(other));
    await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL }, { 'idempotency-key': IDEMPOTENCY_KEY });

    // Act
    const response = await payOrder(
      otherOrderId,
      { amount: CREATE_ORDER_TOTAL },
      { 'idempotency-key': IDEMPOTENCY_KEY },
    );

    // Assess
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ type: '/problems/idempotency-key-reused', status: 422 });
    expect(world.orders.item(otherOrderId)).toEqual(other);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('publishes an OrderPlaced left pending before the OrderPaid, keeping the group in seq order', async () => {
    // Prepare
    const placed = storedOrder({ orderId: ORDER_ID, status: 'PLACED' });
    world.orders.seed(orderItem(placed, orderPlacedEvent(placed)));

    // Act
    const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 1, {
      MessageDeduplicationId: `${ORDER_ID}:1`,
      Message: JSON.stringify(orderPlacedEvent(placed)),
    });
    expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 2, {
      MessageDeduplicationId: `${ORDER_ID}:2`,
    });
    expect(world.timeline()).toEqual([
      'orders.Get',
      'sns.Publish',
      'orders.Put',
      'sns.Publish',
      'orders.Update',
    ]);
    expect(world.orders.item(ORDER_ID)).toEqual(response.body);
  });

  describe('when a dependency fails', () => {
    it('answers 503 when SNS throttles, keeps the order PAID with OrderPaid pending, and frees the key', async () => {
      // Prepare
      const placed = world.seedOrder(ORDER_ID, 'PLACED');
      world.sns.on(PublishCommand).rejects(snsThrottling());

      // Act
      const response = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expectServiceUnavailable(response, 'SNS', { orderId: ORDER_ID });
      expect(world.orders.item(ORDER_ID)).toEqual({
        ...paidOrder(placed),
        ...PAID_WITH_KEY,
        pendingEvent: orderPaidEvent(placed, response.headers['x-correlation-id']),
      });
      expect(world.documentClient).not.toHaveReceivedCommand(UpdateCommand);
      expect(world.documentClient).not.toHaveReceivedCommand(DeleteCommand);
      expect(world.dynamodb).toHaveReceivedCommandExactlyOnceWith(DeleteItemCommand, {
        TableName: IDEMPOTENCY_TABLE,
        Key: world.idempotencyRecordKey(),
      });
      expect(world.idempotency.size).toBe(0);
    });

    it('answers 202 to a keyed retry whose first attempt was written, even after a cancel changed the order since', async () => {
      // Prepare: the pay is written, its publish fails (503); the customer's cancel goes through meanwhile.
      world.seedOrder(ORDER_ID, 'PLACED');
      world.sns.on(PublishCommand).rejects(snsThrottling());
      const failed = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );
      world.serve();
      const cancelled = await invoke(
        handlers.cancelOrder,
        orderCommandEvent('cancel', ORDER_ID, {}, { 'idempotency-key': 'cancel-2024-05-01.0001' }),
        lambdaContext({ functionName: 'orderflow-test-cancelOrder' }),
      );

      // Act
      const retry = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(cancelled.statusCode).toBe(202);
      expect(retry.statusCode).toBe(202);
      expect(retry.body).toMatchObject({ status: 'CANCELLED', version: 3 });
      // The pay's own publish was refused; the cancel published the pending OrderPaid before its own event.
      expect(world.publishedEvents().map(({ type }) => type)).toEqual([
        'OrderPaid',
        'OrderPaid',
        'OrderCancelled',
      ]);
      expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 2);
    });

    it('completes the publish on a retry with the same key, without writing the order again', async () => {
      // Prepare
      const placed = world.seedOrder(ORDER_ID, 'PLACED');
      world.sns.on(PublishCommand).rejects(snsThrottling());
      const failed = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );
      const pendingAfterFailure = world.orders.item(ORDER_ID)?.pendingEvent;
      world.serve();

      // Act
      const retry = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(retry.statusCode).toBe(202);
      expect(retry.body).toEqual(paidOrder(placed));
      expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 2);
      expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 2, {
        MessageGroupId: ORDER_ID,
        MessageDeduplicationId: `${ORDER_ID}:2`,
        Message: JSON.stringify(pendingAfterFailure),
      });
      expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
        Key: { orderId: ORDER_ID },
        UpdateExpression: 'REMOVE pendingEvent',
        ExpressionAttributeValues: { ':version': 2 },
      });
      expect(world.orders.item(ORDER_ID)).toEqual({ ...retry.body, ...PAID_WITH_KEY });
    });

    it.each(['ThrottlingException', 'ProvisionedThroughputExceededException'] as const)(
      'answers 503 when the order write is throttled (%s), publishing nothing',
      async (name) => {
        // Prepare
        const placed = world.seedOrder(ORDER_ID, 'PLACED');
        world.documentClient.on(PutCommand).rejects(dynamoDbThrottling(name));

        // Act
        const response = await payOrder(
          ORDER_ID,
          { amount: CREATE_ORDER_TOTAL },
          { 'idempotency-key': IDEMPOTENCY_KEY },
        );

        // Assess
        expectServiceUnavailable(response, 'DynamoDB');
        expect(world.sns).not.toHaveReceivedAnyCommand();
        expect(world.orders.item(ORDER_ID)).toEqual(placed);
        expect(world.idempotency.size).toBe(0);

        // Act: the client retries
        world.serve();
        const retry = await payOrder(
          ORDER_ID,
          { amount: CREATE_ORDER_TOTAL },
          { 'idempotency-key': IDEMPOTENCY_KEY },
        );

        // Assess
        expect(retry.statusCode).toBe(202);
        expect(world.sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
          MessageDeduplicationId: `${ORDER_ID}:2`,
        });
      },
    );

    it('answers 503 when the order read is throttled', async () => {
      // Prepare
      world.seedOrder(ORDER_ID, 'PLACED');
      world.documentClient.on(GetCommand).rejects(dynamoDbThrottling('ThrottlingException'));

      // Act
      const response = await payOrder(ORDER_ID, { amount: CREATE_ORDER_TOTAL });

      // Assess
      expectServiceUnavailable(response);
      expect(world.timeline()).toEqual(['orders.Get']);
    });

    it('answers 503 without reading the order when the idempotency store is throttled', async () => {
      // Prepare
      world.seedOrder(ORDER_ID, 'PLACED');
      world.dynamodb.on(PutItemCommand).rejects(dynamoDbThrottling('ThrottlingException'));

      // Act
      const response = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expectServiceUnavailable(response, 'DynamoDB');
      expect(world.documentClient).not.toHaveReceivedAnyCommand();
      expect(world.sns).not.toHaveReceivedAnyCommand();
    });

    it('answers the paid order to a retry once the key of an attempt whose response was not saved is free', async () => {
      // Prepare
      const placed = world.seedOrder(ORDER_ID, 'PLACED');
      world.dynamodb.on(UpdateItemCommand).rejects(dynamoDbThrottling('ThrottlingException'));
      const failed = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );
      world.serve();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });

      // Act
      const retry = await payOrder(
        ORDER_ID,
        { amount: CREATE_ORDER_TOTAL },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(failed.headers['retry-after']).toBe('1');
      expect(world.orders.item(ORDER_ID)).toEqual({ ...paidOrder(placed), ...PAID_WITH_KEY });
      expect({ statusCode: retry.statusCode, body: retry.body }).toMatchObject({
        statusCode: 202,
        body: { orderId: ORDER_ID, status: 'PAID', version: 2 },
      });
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });
  });
});
