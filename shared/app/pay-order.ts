import { assertMayChange, type Caller } from '../core/caller.js';
import type { Order } from '../core/order.js';
import type { PayOrderBody } from '../core/order-schema.js';
import { newEventContext } from '../ids.js';
import { type OrderPorts, runOrderCommand } from './order-commands.js';

/**
 * `payOrder` (`POST /orders/{orderId}/pay`): the caller's own order only; the amount must equal its total;
 * PLACED → PAID.
 */
export function payOrder(
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
    body: PayOrderBody;
    idempotencyKey: string | undefined;
    correlationId?: string | undefined;
  },
): Promise<Order> {
  return runOrderCommand(
    ports,
    orderId,
    { type: 'pay', amount: body.amount, idempotencyKey },
    newEventContext(correlationId),
    (order) => assertMayChange(caller, order),
  );
}
