import type { Caller } from '../core/caller.js';
import type { MetricName } from '../core/metric-names.js';
import type { Order } from '../core/order.js';
import type * as z from '../core/zod.js';
import { annotateTrace, logger } from '../observability.js';
import { httpHandler } from './http-handler.js';
import { makeIdempotentCommand } from './idempotent-command.js';
import { parseJsonBody, readIdempotencyKey, readOrderId } from './request.js';
import { jsonResponse } from './responses.js';

/** What an order command's use case is given: the caller, the order, the parsed body, the request's key. */
export interface OrderCommandRequest<B> {
  caller: Caller;
  correlationId?: string;
  orderId: string;
  body: B;
  idempotencyKey: string | undefined;
}

export interface OrderCommandRouteOptions<S extends z.ZodMiniType> {
  /** The function's name in serverless.yml; also the idempotency key prefix. */
  name: string;
  /** What an answered (not replayed) command counts as, e.g. `OrdersPaid`. */
  counts: MetricName;
  bodySchema: S;
  /** The table Powertools' idempotency records go to. */
  idempotencyTable: string;
  /** The use case (`shared/app/<name>.ts`), with its ports already bound. */
  run: (request: OrderCommandRequest<z.infer<S>>) => Promise<Order>;
  emptyBodyAllowed?: boolean;
}

/**
 * `POST /orders/{orderId}/<command>`: parse the path, the key and the body at the edge, then run the use case,
 * guarded by the `Idempotency-Key`. Answers `202` with the order. Call once, at module scope.
 */
export function orderCommandRoute<S extends z.ZodMiniType>({
  name,
  bodySchema,
  idempotencyTable,
  run,
  counts,
  emptyBodyAllowed = false,
}: OrderCommandRouteOptions<S>) {
  const command = makeIdempotentCommand<{ orderId: string; body: z.infer<S> }>(
    async ({ caller, correlationId, idempotencyKey, request: { orderId, body } }) =>
      jsonResponse(202, await run({ caller, correlationId, orderId, body, idempotencyKey })),
    { tableName: idempotencyTable, keyPrefix: name },
  );

  return httpHandler(
    async (event, context, caller, correlationId) => {
      const orderId = readOrderId(event);
      logger.appendKeys({ orderId });
      annotateTrace({ orderId });
      const idempotencyKey = readIdempotencyKey(event);
      const body = parseJsonBody(event, bodySchema, { emptyBodyAllowed });
      return command({ caller, correlationId, idempotencyKey, request: { orderId, body } }, context);
    },
    { method: 'POST', counts },
  );
}
