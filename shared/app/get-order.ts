import { OrderNotFoundError } from '../core/errors.js';
import type { Order } from '../core/order.js';
import type { OrderStore } from '../core/ports.js';

/** `getOrder` (`GET /orders/{orderId}`): the order as stored, or `OrderNotFoundError` (a 404). */
export async function getOrder(store: Pick<OrderStore, 'get'>, orderId: string): Promise<Order> {
  const record = await store.get(orderId);
  if (record === undefined) throw new OrderNotFoundError(orderId);
  return record.order;
}
