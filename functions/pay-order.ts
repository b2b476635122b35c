import { payOrderBodySchema } from '../shared/core/order-schema.js';
import { orderCommandRoute } from '../shared/http/order-command-route.js';

/** `POST /orders/{orderId}/pay` — body `{ amount }`, which must equal the order total. */
export const handler = orderCommandRoute({
  name: 'payOrder',
  bodySchema: payOrderBodySchema,
  toCommand: ({ amount }) => ({ type: 'pay', amount }),
});
