import { payOrder } from '../shared/app/pay-order.js';
import { payOrderBodySchema } from '../shared/core/order-schema.js';
import { orderCommandRoute } from '../shared/http/order-command-route.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const ports = createOrderPortsFromEnv();

/** `POST /orders/{orderId}/pay` — body `{ amount }`, which must equal the order total. */
export const handler = orderCommandRoute({
  name: 'payOrder',
  counts: 'OrdersPaid',
  bodySchema: payOrderBodySchema,
  idempotencyTable: ports.idempotencyTable,
  run: (request) => payOrder(ports, request),
});
