import { runOrderCommand } from '../app/order-commands.js';
import type { OrderCommand } from '../core/order.js';
import type * as z from '../core/zod.js';
import { newEventContext } from '../ids.js';
import { logger } from '../observability.js';
import { createOrderPortsFromEnv } from '../wiring/order-ports.js';
import { httpHandler } from './http-handler.js';
import { makeIdempotentCommand } from './idempotent-command.js';
import { parseJsonBody, readIdempotencyKey, readOrderId } from './request.js';
import { jsonResponse } from './responses.js';

export interface OrderCommandRouteOptions<S extends z.ZodMiniType> {
  /** The function's name in serverless.yml; also the idempotency key prefix. */
  name: string;
  bodySchema: S;
  toCommand: (body: z.infer<S>) => OrderCommand;
  emptyBodyAllowed?: boolean;
}

/**
 * `POST /orders/{orderId}/<command>`: parse the path, the key and the body at the edge, then run the command on the
 * order, guarded by the `Idempotency-Key`. Answers `202` with the order. Call once, at module scope.
 */
export function orderCommandRoute<S extends z.ZodMiniType>({
  name,
  bodySchema,
  toCommand,
  emptyBodyAllowed = false,
}: OrderCommandRouteOptions<S>) {
  const ports = createOrderPortsFromEnv();
  const run = makeIdempotentCommand<{ orderId: string; body: z.infer<S> }>(
    async ({ idempotencyKey, request: { orderId, body } }) =>
      jsonResponse(
        202,
        await runOrderCommand(ports, orderId, { ...toCommand(body), idempotencyKey }, newEventContext()),
      ),
    { tableName: ports.idempotencyTable, keyPrefix: name },
  );

  return httpHandler(async (event, context) => {
    const orderId = readOrderId(event);
    logger.appendKeys({ orderId });
    const idempotencyKey = readIdempotencyKey(event);
    const body = parseJsonBody(event, bodySchema, { emptyBodyAllowed });
    return run({ idempotencyKey, request: { orderId, body } }, context);
  });
}
