import { createOrderStore } from '../shared/adapters/order-store.js';
import { getOrder } from '../shared/app/get-order.js';
import { httpHandler } from '../shared/http/http-handler.js';
import { readOrderId } from '../shared/http/request.js';
import { jsonResponse } from '../shared/http/responses.js';
import { annotateTrace, logger } from '../shared/observability.js';
import { readConfig } from '../shared/wiring/config.js';

const store = createOrderStore({ tableName: readConfig(['ORDERS_TABLE']).ORDERS_TABLE });

/** `GET /orders/{orderId}` */
export const handler = httpHandler(
  async (event, _context, caller) => {
    const orderId = readOrderId(event);
    logger.appendKeys({ orderId });
    annotateTrace({ orderId });
    return jsonResponse(200, await getOrder(store, { caller, orderId }));
  },
  { method: 'GET' },
);
