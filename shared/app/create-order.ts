import { assertMayPlaceFor, type Caller } from '../core/caller.js';
import type { Order } from '../core/order.js';
import type { CreateOrderBody } from '../core/order-schema.js';
import { newEventContext, newOrderId, orderIdFor } from '../ids.js';
import { type OrderPorts, placeNewOrder } from './order-commands.js';

/**
 * `createOrder` (`POST /orders`): places the order. With an `Idempotency-Key` the order id derives from the key and
 * the body, so a retry whose first attempt failed halfway finds that order and completes it. The caller places
 * orders for itself only.
 */
export async function createOrder(
  ports: OrderPorts,
  {
    caller,
    body,
    idempotencyKey,
    correlationId,
  }: { caller: Caller; body: CreateOrderBody; idempotencyKey: string | undefined; correlationId?: string },
): Promise<Order> {
  assertMayPlaceFor(caller, body.customerId);
  const orderId = idempotencyKey === undefined ? newOrderId() : orderIdFor(idempotencyKey, body);
  ports.log.appendKeys({ orderId });
  return placeNewOrder(
    ports,
    { orderId, body, retryable: idempotencyKey !== undefined },
    newEventContext(correlationId),
  );
}
