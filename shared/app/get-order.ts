import { assertMayRead, type Caller } from '../core/caller.js';
import { OrderNotFoundError } from '../core/errors.js';
import type { Order } from '../core/order.js';
import type { OrderStore } from '../core/ports.js';

/**
 * `getOrder` (`GET /orders/{orderId}`): the order as stored, if the caller may read it (its own, or any with the
 * admin scope); `OrderNotFoundError` (a 404) when there is none.
 */
export async function getOrder(
  store: Pick<OrderStore, 'get'>,
  { caller, orderId }: { caller: Caller; orderId: string },
): Promise<Order> {
  const record = await store.get(orderId);
  if (record === undefined) throw new OrderNotFoundError(orderId);
  assertMayRead(caller, record.order);
  return record.order;
}
