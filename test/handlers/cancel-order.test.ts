import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../support/api-event.js';
import { ISO_TIMESTAMP_PATTERN, UUID_PATTERN } from '../support/order-fixtures.js';
import type { ParsedResponse } from '../support/order-world.js';
import {
  dynamoDbThrottling,
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

const ORDER_ID = '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d';
const IDEMPOTENCY_KEY = 'cancel-2024-05-01.0001';
/** What a keyed cancel leaves on the order item, so that a retry with the key is recognised. */
const CANCELLED_WITH_KEY = {
  lastCommand: { type: 'cancel', idempotencyKey: IDEMPOTENCY_KEY },
  commandKeys: { cancel: IDEMPOTENCY_KEY },
} as const;

function cancelOrder(
  orderId: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ParsedResponse> {
  return invoke(
    handlers.cancelOrder,
    orderCommandEvent('cancel', orderId, body, headers),
    lambdaContext({ functionName: 'orderflow-test-cancelOrder' }),
  );
}

describe('cancelOrder (POST /orders/{orderId}/cancel)', () => {
  it('cancels a placed order with a reason: CANCELLED at version 2, OrderCancelled published as seq 2', async () => {
    // Prepare
    const placed = world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await cancelOrder(ORDER_ID, { reason: 'Ordered the wrong size' });

    // Assess
    expect(response.statusCode).toBe(202);
    const cancelled = {
      ...placed,
      status: 'CANCELLED',
      version: 2,
      updatedAt: expect.stringMatching(ISO_TIMESTAMP_PATTERN),
    };
    expect(response.body).toEqual(cancelled);
    const pendingEvent = {
      eventId: expect.stringMatching(UUID_PATTERN),
      type: 'OrderCancelled',
      orderId: ORDER_ID,
      customerId: placed.customerId,
      seq: 2,
      occurredAt: response.body.updatedAt,
      correlationId: response.headers['x-correlation-id'],
      data: { previousStatus: 'PLACED', reason: 'Ordered the wrong size' },
    };
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: ORDERS_TABLE,
      Item: { ...response.body, pendingEvent },
      ConditionExpression: '#version = :expectedVersion',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expectedVersion': 1 },
    });
    expect(world.sns).toHaveReceivedCommandExactlyOnceWith(
      PublishCommand,
      orderEventPublish(ORDER_ID, 2, 'OrderCancelled', String(response.headers['x-correlation-id'])),
    );
    expect(world.publishedEvents()).toEqual([pendingEvent]);
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      Key: { orderId: ORDER_ID },
      UpdateExpression: 'REMOVE pendingEvent',
      ExpressionAttributeValues: { ':version': 2 },
    });
    expect(world.orders.item(ORDER_ID)).toEqual(response.body);
  });

  it('cancels a paid order sent without a body: CANCELLED at version 3, no reason in the event', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PAID');

    // Act
    const response = await cancelOrder(ORDER_ID);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.body).toMatchObject({ orderId: ORDER_ID, status: 'CANCELLED', version: 3 });
    expect(world.documentClient).toHaveReceivedCommandWith(PutCommand, {
      ExpressionAttributeValues: { ':expectedVersion': 2 },
    });
    expect(world.sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      MessageDeduplicationId: `${ORDER_ID}:3`,
    });
    expect(world.publishedEvents()).toEqual([
      expect.objectContaining({ type: 'OrderCancelled', seq: 3, data: { previousStatus: 'PAID' } }),
    ]);
  });

  it('accepts a reason of 500 characters', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await cancelOrder(ORDER_ID, { reason: 'r'.repeat(500) });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(world.publishedEvents()).toEqual([
      expect.objectContaining({ data: { previousStatus: 'PLACED', reason: 'r'.repeat(500) } }),
    ]);
  });

  it.each(['FULFILLED', 'CANCELLED', 'SHIPPED', 'DELIVERED'] as const)(
    'refuses to cancel an order that is %s with a 409, writing and publishing nothing',
    async (status) => {
      // Prepare
      const order = world.seedOrder(ORDER_ID, status);

      // Act
      const response = await cancelOrder(ORDER_ID, { reason: 'Changed my mind' });

      // Assess
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body).toEqual({
        type: '/problems/transition-not-allowed',
        title: 'Not allowed in this status',
        status: 409,
        detail: `Order '${ORDER_ID}' is ${status}: it can be cancelled only while it is PLACED or PAID, which it can no longer be.`,
        instance: `/orders/${ORDER_ID}/cancel`,
        orderId: ORDER_ID,
      });
      expect(world.timeline()).toEqual(['orders.Get']);
      expect(world.sns).not.toHaveReceivedAnyCommand();
      expect(world.orders.item(ORDER_ID)).toEqual(order);
    },
  );

  it('answers 404 for an order that does not exist', async () => {
    // Act
    const response = await cancelOrder(ORDER_ID, { reason: 'Changed my mind' });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      type: '/problems/order-not-found',
      status: 404,
      orderId: ORDER_ID,
    });
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(GetCommand, {
      TableName: ORDERS_TABLE,
      Key: { orderId: ORDER_ID },
    });
    expect(world.timeline()).toEqual(['orders.Get']);
  });

  describe('when a dependency fails', () => {
    it('completes the publish on a retry with the same key after SNS throttled the first attempt', async () => {
      // Prepare
      world.seedOrder(ORDER_ID, 'PLACED');
      world.sns.on(PublishCommand).rejects(snsThrottling());
      const failed = await cancelOrder(
        ORDER_ID,
        { reason: 'Too slow' },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );
      const pendingAfterFailure = world.orders.item(ORDER_ID)?.pendingEvent;
      world.serve();

      // Act
      const retry = await cancelOrder(
        ORDER_ID,
        { reason: 'Too slow' },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(failed.headers['retry-after']).toBe('1');
      expect(pendingAfterFailure).toMatchObject({ type: 'OrderCancelled', seq: 2 });
      expect(retry.statusCode).toBe(202);
      expect(retry.body).toMatchObject({ status: 'CANCELLED', version: 2 });
      expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 2, {
        MessageDeduplicationId: `${ORDER_ID}:2`,
        Message: JSON.stringify(pendingAfterFailure),
      });
      expect(world.orders.item(ORDER_ID)).toEqual({ ...retry.body, ...CANCELLED_WITH_KEY });
    });

    it('publishes a cancellation left pending by a failed publish before refusing another cancel with 409', async () => {
      // Prepare: a cancel without a key whose publish failed leaves the order CANCELLED with OrderCancelled pending
      world.seedOrder(ORDER_ID, 'PAID');
      world.sns.on(PublishCommand).rejects(snsThrottling());
      const failed = await cancelOrder(ORDER_ID, { reason: 'Too slow' });
      world.serve();

      // Act: the client tries again, with other words
      const second = await cancelOrder(ORDER_ID, { reason: 'Found it cheaper elsewhere' });

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(second.statusCode).toBe(409);
      expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 2);
      expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 2, {
        MessageGroupId: ORDER_ID,
        MessageDeduplicationId: `${ORDER_ID}:3`,
      });
      expect(world.orders.item(ORDER_ID)).not.toHaveProperty('pendingEvent');
    });

    it('answers the cancelled order to a retry once the key of an attempt whose response was not saved is free', async () => {
      // Prepare
      world.seedOrder(ORDER_ID, 'PLACED');
      world.dynamodb.on(UpdateItemCommand).rejects(dynamoDbThrottling('ThrottlingException'));
      const failed = await cancelOrder(
        ORDER_ID,
        { reason: 'Too slow' },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );
      world.serve();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });

      // Act
      const retry = await cancelOrder(
        ORDER_ID,
        { reason: 'Too slow' },
        { 'idempotency-key': IDEMPOTENCY_KEY },
      );

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(world.dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 2);
      expect({ statusCode: retry.statusCode, body: retry.body }).toMatchObject({
        statusCode: 202,
        body: { orderId: ORDER_ID, status: 'CANCELLED', version: 2 },
      });
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });
  });
});
