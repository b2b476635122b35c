import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../support/api-event.js';
import { orderItem, orderPlacedEvent, storedOrder } from '../support/order-fixtures.js';
import type { ParsedResponse } from '../support/order-world.js';
import {
  dynamoDbThrottling,
  expectServiceUnavailable,
  getOrderEvent,
  invoke,
  ORDERS_TABLE,
  OrderWorld,
  useOrderWorld,
} from '../support/order-world.js';

const world = new OrderWorld();
const handlers = useOrderWorld(world);

const ORDER_ID = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';

function getOrder(orderId: string): Promise<ParsedResponse> {
  return invoke(
    handlers.getOrder,
    getOrderEvent(orderId),
    lambdaContext({ functionName: 'orderflow-test-getOrder' }),
  );
}

describe('getOrder (GET /orders/{orderId})', () => {
  it('answers 200 with the order, without its internal pendingEvent', async () => {
    // Prepare
    const order = storedOrder({ orderId: ORDER_ID, status: 'PLACED' });
    world.orders.seed(orderItem(order, orderPlacedEvent(order)));

    // Act
    const response = await getOrder(ORDER_ID);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual(order);
    expect(response.body).not.toHaveProperty('pendingEvent');
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(GetCommand, {
      TableName: ORDERS_TABLE,
      Key: { orderId: ORDER_ID },
      ConsistentRead: true,
    });
    expect(world.timeline()).toEqual(['orders.Get']);
  });

  it('answers 404 with a problem for an order that does not exist', async () => {
    // Act
    const response = await getOrder(ORDER_ID);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toEqual({
      type: '/problems/order-not-found',
      title: 'No such order',
      status: 404,
      detail: `Order '${ORDER_ID}' does not exist.`,
      instance: `/orders/${ORDER_ID}`,
      orderId: ORDER_ID,
    });
    expect(world.timeline()).toEqual(['orders.Get']);
  });

  it('answers 503 with Retry-After when the read is throttled', async () => {
    // Prepare
    world.documentClient.on(GetCommand).rejects(dynamoDbThrottling('ProvisionedThroughputExceededException'));

    // Act
    const response = await getOrder(ORDER_ID);

    // Assess
    expectServiceUnavailable(response, 'DynamoDB');
  });
});
