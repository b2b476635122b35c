import type { Order } from '../core/order.js';
import type { PayOrderBody } from '../core/order-schema.js';
import { newEventContext } from '../ids.js';
import { type OrderPorts, runOrderCommand } from './order-commands.js';

/** `payOrder` (`POST /orders/{orderId}/pay`): the amount must equal the order's total; PLACED → PAID. */
export function payOrder(
  ports: OrderPorts,
  {
    orderId,
    body,
    idempotencyKey,
  }: { orderId: string; body: PayOrderBody; idempotencyKey: string | undefined },
): Promise<Order> {
  return runOrderCommand(
    ports,
    orderId,
    { type: 'pay', amount: body.amount, idempotencyKey },
    newEventContext(),
  );
}
