import { cancelOrderBodySchema } from '../shared/core/order-schema.js';
import { orderCommandRoute } from '../shared/http/order-command-route.js';

/** `POST /orders/{orderId}/cancel` — body `{ reason? }`; an empty body is allowed. */
export const handler = orderCommandRoute({
  name: 'cancelOrder',
  bodySchema: cancelOrderBodySchema,
  toCommand: ({ reason }) => ({ type: 'cancel', reason }),
  emptyBodyAllowed: true,
});
