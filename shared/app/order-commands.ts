import { toBusMessage } from '../core/bus-message.js';
import { DependencyUnavailableError, IdempotencyKeyReusedError, OrderNotFoundError } from '../core/errors.js';
import type { EventContext, Order, OrderCommand } from '../core/order.js';
import { decideCommand, isSamePlacement, placeOrder } from '../core/order.js';
import type { OrderEvent } from '../core/order-events.js';
import type { CreateOrderBody } from '../core/order-schema.js';
import type { EventBus, Log, OrderStore } from '../core/ports.js';

export interface OrderPorts {
  store: OrderStore;
  bus: EventBus;
  log: Pick<Log, 'warn' | 'appendKeys'>;
}

/**
 * Places an order: write it with its event (conditional: the id is new), publish, clear the outbox.
 *
 * A publish that fails leaves the request retryable. With an `Idempotency-Key` the order id is derived from the
 * key, so the retry finds the written order and completes its publish. Without one a retry would place a new
 * order, so:
 * - when SNS refused the publish (throttling), the unpublished order is discarded before the failure is reported;
 * - when its outcome is unknown (a timeout, a 5xx: the event may be out), the order stays, placed, its event in the
 *   outbox, and is answered as placed. Discarding it would leave an event in the pipeline for an order that does not
 *   exist, and a 503 would make the client place a second one. Its next command publishes the pending event first
 *   (the same deduplication id: a duplicate is dropped).
 */
export async function placeNewOrder(
  ports: OrderPorts,
  placement: { orderId: string; body: CreateOrderBody; retryable: boolean },
  context: EventContext,
): Promise<Order> {
  return (await placeOrResumeOrder(ports, placement, context)).order;
}

/** What `placeOrResumeOrder` did: placed the order now, or found it placed by an earlier attempt with the same id. */
export interface Placement {
  order: Order;
  placedNow: boolean;
}

/** `placeNewOrder`, saying whether this attempt placed the order or an earlier one had (a retry, a redelivery). */
export async function placeOrResumeOrder(
  ports: OrderPorts,
  { orderId, body, retryable }: { orderId: string; body: CreateOrderBody; retryable: boolean },
  context: EventContext,
): Promise<Placement> {
  const { order, event } = placeOrder(orderId, body, context);
  if (!(await ports.store.create(order, event))) {
    return { order: await resumePlacement(ports, orderId, body), placedNow: false };
  }
  return { order: await publishPlaced(ports, { order, event, retryable }), placedNow: true };
}

async function publishPlaced(
  ports: OrderPorts,
  { order, event, retryable }: { order: Order; event: OrderEvent; retryable: boolean },
): Promise<Order> {
  const { orderId } = order;
  try {
    await ports.bus.publish(toBusMessage(order, event));
  } catch (error) {
    if (retryable) throw error;
    if (error instanceof DependencyUnavailableError && error.mayHaveHappened) {
      ports.log.warn('Publish outcome unknown; the order stays placed, its event pending in the outbox', {
        orderId,
        error,
      });
      return order;
    }
    await ports.store.discardUnpublished(orderId);
    throw error;
  }
  await clearOutbox(ports, order);
  return order;
}

/** A retried create whose first attempt wrote the order: publish what is pending and answer the same order. */
async function resumePlacement(ports: OrderPorts, orderId: string, body: CreateOrderBody): Promise<Order> {
  const existing = await ports.store.get(orderId);
  if (existing === undefined || !isSamePlacement(existing, body))
    throw new IdempotencyKeyReusedError({ orderId });
  if (existing.pendingEvent !== undefined)
    await publishAndClear(ports, existing.order, existing.pendingEvent);
  return existing.order;
}

/**
 * Who may run a command on the order found: throws (a `ForbiddenError`) to refuse before anything happens. The
 * HTTP commands check the caller (`shared/core/caller.ts`); the pipeline's own commands answer for themselves.
 */
export type Authorize = (order: Order) => void;

/**
 * For the commands the pipeline runs itself (fulfilment) and those of devices (scans, authenticated before they
 * reach orderflow): no caller to check.
 */
export const byThePipeline: Authorize = () => undefined;

/**
 * Runs a command on an existing order, once `authorize` allows it. An event left pending by an earlier failed
 * publish goes out first, even when the command is then refused, so the order's message group stays complete and
 * in `seq` order.
 */
export async function runOrderCommand(
  ports: OrderPorts,
  orderId: string,
  command: OrderCommand,
  context: EventContext,
  authorize: Authorize,
): Promise<Order> {
  return (await executeOrderCommand(ports, orderId, command, context, authorize)).order;
}

/**
 * What `executeOrderCommand` did: applied the command now (a new version, its event published), or resumed an
 * earlier attempt of it (its event published if it was still pending) and answers the order as it is now.
 */
export interface ExecutedCommand {
  outcome: 'applied' | 'resumed';
  order: Order;
}

/** `runOrderCommand`, saying whether this attempt applied the command or an earlier one had (a retry, a resend). */
export async function executeOrderCommand(
  ports: OrderPorts,
  orderId: string,
  command: OrderCommand,
  context: EventContext,
  authorize: Authorize,
): Promise<ExecutedCommand> {
  const record = await ports.store.get(orderId);
  if (record === undefined) throw new OrderNotFoundError(orderId);
  authorize(record.order);
  const decision = decideCommand(record, command, context);
  if (decision.kind === 'resume') {
    if (decision.event !== undefined) await publishAndClear(ports, decision.order, decision.event);
    return { outcome: 'resumed', order: decision.order };
  }
  if (decision.kind === 'reject') {
    if (record.pendingEvent !== undefined) await publishAndClear(ports, record.order, record.pendingEvent);
    throw decision.error;
  }
  // The earlier event goes out before the new one; the write below replaces the outbox anyway.
  if (record.pendingEvent !== undefined) {
    await ports.bus.publish(toBusMessage(record.order, record.pendingEvent));
  }
  const { order, event, lastCommand, commandKeys } = decision;
  await ports.store.update({ order, pendingEvent: event, lastCommand, commandKeys }, record.order.version);
  await publishAndClear(ports, order, event);
  return { outcome: 'applied', order };
}

async function publishAndClear(ports: OrderPorts, order: Order, event: OrderEvent): Promise<void> {
  await ports.bus.publish(toBusMessage(order, event));
  await clearOutbox(ports, order);
}

/**
 * The event is out; clearing the outbox only saves a republish. If the clear fails the request still succeeded:
 * a later command republishes the event with the same deduplication id, and consumers drop it by `seq`.
 */
async function clearOutbox(ports: OrderPorts, order: Order): Promise<void> {
  try {
    await ports.store.markPublished(order.orderId, order.version);
  } catch (error) {
    ports.log.warn('Published, but could not clear the outbox; a later command republishes it', {
      orderId: order.orderId,
      version: order.version,
      error,
    });
  }
}
