import { placeNewOrder } from '../shared/app/order-commands.js';
import type { CreateOrderBody } from '../shared/core/order-schema.js';
import { createOrderBodySchema } from '../shared/core/order-schema.js';
import { httpHandler } from '../shared/http/http-handler.js';
import { makeIdempotentCommand } from '../shared/http/idempotent-command.js';
import { parseJsonBody, readIdempotencyKey } from '../shared/http/request.js';
import { jsonResponse } from '../shared/http/responses.js';
import { newEventContext, newOrderId, orderIdFor } from '../shared/ids.js';
import { logger } from '../shared/observability.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const ports = createOrderPortsFromEnv();

const createOrder = makeIdempotentCommand<{ body: CreateOrderBody }>(
  async ({ idempotencyKey, request: { body } }) => {
    const orderId = idempotencyKey === undefined ? newOrderId() : orderIdFor(idempotencyKey, body);
    logger.appendKeys({ orderId });
    const order = await placeNewOrder(
      ports,
      { orderId, body, retryable: idempotencyKey !== undefined },
      newEventContext(),
    );
    return jsonResponse(201, order, { location: `/orders/${order.orderId}` });
  },
  { tableName: ports.idempotencyTable, keyPrefix: 'createOrder' },
);

/** `POST /orders` */
export const handler = httpHandler(async (event, context) => {
  const idempotencyKey = readIdempotencyKey(event);
  const body = parseJsonBody(event, createOrderBodySchema);
  return createOrder({ idempotencyKey, request: { body } }, context);
});
