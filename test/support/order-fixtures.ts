import type { Order } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { CreateOrderBody, OrderItem } from '../../shared/core/order-schema.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';

/** The items of the test order, a fresh copy each time: 2 × 1999 + 1 × 500 = 4498 cents. */
export function orderItems(): OrderItem[] {
  return [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1999 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 500 },
  ];
}

/** A valid `POST /orders` body: the test order's items, 4498 cents. */
export function createOrderBody(overrides: Partial<CreateOrderBody> = {}): CreateOrderBody {
  return {
    customerId: 'cust_42',
    currency: 'EUR',
    region: 'eu-west',
    items: orderItems(),
    ...overrides,
  };
}

export const CREATE_ORDER_TOTAL = 4498;

export const PLACED_AT = '2024-05-01T10:00:00.000Z';
export const CHANGED_AT = '2024-05-01T10:05:00.000Z';

/** The version an order has in each status when it took the shortest path there. */
const VERSION_OF: Record<OrderStatus, number> = {
  PLACED: 1,
  PAID: 2,
  FULFILLED: 3,
  SHIPPED: 4,
  DELIVERED: 5,
  CANCELLED: 2,
};

/** A stored order (what the orders table holds, without its outbox). */
export function storedOrder(overrides: Partial<Order> & { orderId: string }): Order {
  const status = overrides.status ?? 'PLACED';
  const version = overrides.version ?? VERSION_OF[status];
  return {
    customerId: 'cust_42',
    currency: 'EUR',
    region: 'eu-west',
    items: orderItems(),
    total: CREATE_ORDER_TOTAL,
    status,
    version,
    createdAt: PLACED_AT,
    updatedAt: version === 1 ? PLACED_AT : CHANGED_AT,
    ...overrides,
  };
}

/** The `OrderPlaced` event of `order` (seq 1). */
export function orderPlacedEvent(order: Order): OrderEvent<'OrderPlaced'> {
  return {
    eventId: '11111111-1111-4111-8111-111111111111',
    type: 'OrderPlaced',
    orderId: order.orderId,
    customerId: order.customerId,
    seq: 1,
    occurredAt: order.createdAt,
    data: { currency: order.currency, region: order.region, items: order.items, total: order.total },
  };
}

/** The item the orders table holds: the order's fields plus `pendingEvent` while its last event is unpublished. */
export function orderItem(order: Order, pendingEvent?: OrderEvent): Record<string, unknown> {
  return pendingEvent === undefined ? { ...order } : { ...order, pendingEvent };
}

/** The `errors[].field` names of a problem body. */
export function fieldsOf(problem: Record<string, unknown>): string[] {
  const { errors } = problem;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((issue: unknown) =>
    typeof issue === 'object' && issue !== null && 'field' in issue && typeof issue.field === 'string'
      ? [issue.field]
      : [],
  );
}

/** The `orderId` of an order body; fails the test when there is none. */
export function orderIdOf(body: Record<string, unknown>): string {
  const { orderId } = body;
  if (typeof orderId !== 'string') throw new Error(`No orderId in ${JSON.stringify(body)}`);
  return orderId;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
