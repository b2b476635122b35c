import { assertMayChange, type Caller } from '../core/caller.js';
import type { Order } from '../core/order.js';
import type { CancelOrderBody } from '../core/order-schema.js';
import { newEventContext } from '../ids.js';
import { type OrderPorts, runOrderCommand } from './order-commands.js';

/**
 * `cancelOrder` (`POST /orders/{orderId}/cancel`): the caller's own order only; PLACED or PAID → CANCELLED, with
 * an optional reason.
 */
export function cancelOrder(
  ports: OrderPorts,
  {
    caller,
    orderId,
    body,
    idempotencyKey,
    correlationId,
  }: {
    caller: Caller;
    orderId: string;
    body: CancelOrderBody;
    idempotencyKey: string | undefined;
    correlationId?: string | undefined;
  },
): Promise<Order> {
  return runOrderCommand(
    ports,
    orderId,
    { type: 'cancel', reason: body.reason, idempotencyKey },
    newEventContext(correlationId),
    (order) => assertMayChange(caller, order),
  );
}
