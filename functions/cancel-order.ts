import { cancelOrder } from '../shared/app/cancel-order.js';
import { cancelOrderBodySchema } from '../shared/core/order-schema.js';
import { orderCommandRoute } from '../shared/http/order-command-route.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const ports = createOrderPortsFromEnv();

/** `POST /orders/{orderId}/cancel` — body `{ reason? }`; an empty body is allowed. */
export const handler = orderCommandRoute({
  name: 'cancelOrder',
  counts: 'OrdersCancelled',
  bodySchema: cancelOrderBodySchema,
  idempotencyTable: ports.idempotencyTable,
  run: (request) => cancelOrder(ports, request),
  emptyBodyAllowed: true,
});
