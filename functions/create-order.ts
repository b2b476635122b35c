import { createOrder } from '../shared/app/create-order.js';
import { type CreateOrderBody, createOrderBodySchema } from '../shared/core/order-schema.js';
import { httpHandler } from '../shared/http/http-handler.js';
import { makeIdempotentCommand } from '../shared/http/idempotent-command.js';
import { parseJsonBody, readIdempotencyKey } from '../shared/http/request.js';
import { jsonResponse } from '../shared/http/responses.js';
import { annotateTrace } from '../shared/observability.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const ports = createOrderPortsFromEnv();

const command = makeIdempotentCommand<{ body: CreateOrderBody }>(
  async ({ caller, correlationId, idempotencyKey, request: { body } }) => {
    const order = await createOrder(ports, { caller, body, idempotencyKey, correlationId });
    annotateTrace({ orderId: order.orderId });
    return jsonResponse(201, order, { location: `/orders/${order.orderId}` });
  },
  { tableName: ports.idempotencyTable, keyPrefix: 'createOrder' },
);

/** `POST /orders` */
export const handler = httpHandler(
  async (event, context, caller, correlationId) => {
    const idempotencyKey = readIdempotencyKey(event);
    const body = parseJsonBody(event, createOrderBodySchema);
    return command({ caller, correlationId, idempotencyKey, request: { body } }, context);
  },
  { method: 'POST', counts: 'OrdersPlaced' },
);
