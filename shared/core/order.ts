import { withCorrelationId } from './correlation.js';
import type { OrderflowError } from './errors.js';
import { AmountMismatchError, TransitionNotAllowedError } from './errors.js';
import { computeTotal } from './money.js';
import type { OrderEvent } from './order-events.js';
import type { CreateOrderBody, OrderItem } from './order-schema.js';
import { deliveredDataOf, type Scan, shippedDataOf } from './scan.js';
import type { OrderCommandType, OrderStatus } from './status-machine.js';
import { nextStatus, TRANSITIONS } from './status-machine.js';

/** An order as stored and as returned by the HTTP API. `version` is the `seq` of its last event. */
export interface Order {
  orderId: string;
  customerId: string;
  currency: string;
  region: string;
  items: OrderItem[];
  total: number;
  status: OrderStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * An order with its outbox: the event written together with the order's last change and not yet known to be
 * published. The single-item write of both is what makes "write, then publish" safe without transactions.
 */
export interface OrderRecord {
  order: Order;
  pendingEvent: OrderEvent | undefined;
  /** The command that made the current version, when it carried a retry key (see `retryKeyOf`). */
  lastCommand?: LastCommand | undefined;
  /**
   * The retry key of each command applied to the order with one (see `retryKeyOf`). A command applies at most once
   * per order (it is paid once, cancelled once, shipped once), so a retry is still recognised after another command
   * changed the order.
   */
  commandKeys?: CommandKeys | undefined;
}

/** The retry key of each command applied with one, by command. */
export type CommandKeys = Partial<Record<OrderCommandType, string>>;

/** The command that made an order's current version, and its retry key. */
export interface LastCommand {
  type: OrderCommandType;
  idempotencyKey: string;
}

/**
 * A command on an existing order. A retry of a command is recognised by its retry key (`retryKeyOf`): the
 * `idempotencyKey` of a pay, cancel or fulfil, the `scanId` of a ship or deliver's scan.
 */
export type OrderCommand =
  | ((
      | { type: 'pay'; amount: number }
      | { type: 'cancel'; reason?: string | undefined }
      | { type: 'fulfil' }
    ) & {
      /**
       * The request's `Idempotency-Key` (for a fulfil, the paid event's id): a retry with the same key is recognised
       * even after its event went out.
       */
      idempotencyKey?: string | undefined;
    })
  /** A device's scan: the parcel left a site (`ship`) or reached the customer (`deliver`). */
  | { type: 'ship' | 'deliver'; scan: Scan };

/**
 * What recognises a retry of `command`: the request's `Idempotency-Key` for a pay or cancel, the paid event's id
 * for a fulfil, the scan's `scanId` for a ship or deliver (a device resends a scan with its id).
 */
export function retryKeyOf(command: OrderCommand): string | undefined {
  return 'scan' in command ? command.scan.scanId : command.idempotencyKey;
}

/** Identity and time for a new event: supplied by the caller so that the core stays deterministic. */
export interface EventContext {
  eventId: string;
  /** ISO 8601 timestamp */
  now: string;
  /** The correlation id of the request (or event) that causes the new event; it goes out with it. */
  correlationId?: string | undefined;
}

export type CommandDecision =
  /**
   * Write `order` with `event` pending and `lastCommand` (conditional on the previous version), then publish
   * `event`.
   */
  | {
      kind: 'apply';
      order: Order;
      event: OrderEvent;
      lastCommand: LastCommand | undefined;
      commandKeys: CommandKeys | undefined;
    }
  /**
   * An earlier attempt of this same command was already applied: publish `event` if it is still pending (it is
   * `undefined` when it went out), and answer `order` — as it is now, which a later command may have changed.
   */
  | { kind: 'resume'; order: Order; event: OrderEvent | undefined }
  | { kind: 'reject'; error: OrderflowError };

/** Places a new order: version 1 and its `OrderPlaced` event (seq 1). */
export function placeOrder(
  orderId: string,
  body: CreateOrderBody,
  context: EventContext,
): { order: Order; event: OrderEvent<'OrderPlaced'> } {
  const items = body.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice }));
  const total = computeTotal(items);
  const order: Order = {
    orderId,
    customerId: body.customerId,
    currency: body.currency,
    region: body.region,
    items,
    total,
    status: 'PLACED',
    version: 1,
    createdAt: context.now,
    updatedAt: context.now,
  };
  const event: OrderEvent<'OrderPlaced'> = {
    eventId: context.eventId,
    type: 'OrderPlaced',
    orderId,
    customerId: body.customerId,
    seq: 1,
    occurredAt: context.now,
    ...withCorrelationId(context.correlationId),
    data: { currency: order.currency, region: order.region, items, total },
  };
  return { order, event };
}

/** Whether `record` already holds the same order `body` would place (a retried create). */
export function isSamePlacement(record: OrderRecord, body: CreateOrderBody): boolean {
  const { order } = record;
  return (
    order.customerId === body.customerId &&
    order.currency === body.currency &&
    order.region === body.region &&
    order.items.length === body.items.length &&
    // Field by field: a stored map need not keep the key order it was written with.
    order.items.every((item, index) => {
      const requested = body.items[index];
      return (
        requested !== undefined &&
        item.sku === requested.sku &&
        item.quantity === requested.quantity &&
        item.unitPrice === requested.unitPrice
      );
    })
  );
}

/**
 * Decides what a command does to an order: apply it (a new version and its event), resume an earlier attempt
 * of the same command, or reject it.
 *
 * An earlier attempt is recognised by its retry key (the same key came with the same command type, whether it made
 * the current version or an earlier one: an `Idempotency-Key`, a scan's `scanId`), or, without a key, by its event
 * still pending with the same data (its publish failed). A refusal is a `TransitionNotAllowedError` that says
 * whether the command may still become allowed (`mayBecomeValid`), or an `AmountMismatchError`.
 *
 * @example
 * decideCommand({ order: placed, pendingEvent: undefined, lastCommand: undefined }, { type: 'pay', amount: placed.total }, ctx)
 * // → { kind: 'apply', order: { ...placed, status: 'PAID', version: 2 }, event: { type: 'OrderPaid', seq: 2, ... } }
 */
export function decideCommand(
  record: OrderRecord,
  command: OrderCommand,
  context: EventContext,
): CommandDecision {
  const { order, pendingEvent, lastCommand, commandKeys } = record;
  if (isRetryByKey(lastCommand, commandKeys, command)) return { kind: 'resume', order, event: pendingEvent };
  if (pendingEvent !== undefined && isRetryOf(pendingEvent, order, command)) {
    return { kind: 'resume', order, event: pendingEvent };
  }
  const to = nextStatus(order.status, command.type);
  if (to === undefined) {
    return {
      kind: 'reject',
      error: new TransitionNotAllowedError(order.orderId, order.status, command.type),
    };
  }
  if (command.type === 'pay' && command.amount !== order.total) {
    return { kind: 'reject', error: new AmountMismatchError(order.orderId, command.amount, order.total) };
  }
  const seq = order.version + 1;
  const next: Order = { ...order, status: to, version: seq, updatedAt: context.now };
  const base = {
    eventId: context.eventId,
    orderId: order.orderId,
    customerId: order.customerId,
    seq,
    occurredAt: context.now,
    ...withCorrelationId(context.correlationId),
  };
  const event: OrderEvent = eventFor(command, order.status, base);
  const key = retryKeyOf(command);
  const applied: LastCommand | undefined =
    key === undefined ? undefined : { type: command.type, idempotencyKey: key };
  const keys = key === undefined ? commandKeys : { ...commandKeys, [command.type]: key };
  return { kind: 'apply', order: next, event, lastCommand: applied, commandKeys: keys };
}

function isRetryByKey(
  lastCommand: LastCommand | undefined,
  commandKeys: CommandKeys | undefined,
  command: OrderCommand,
): boolean {
  const key = retryKeyOf(command);
  if (key === undefined) return false;
  if (commandKeys?.[command.type] === key) return true;
  return lastCommand?.idempotencyKey === key && lastCommand.type === command.type;
}

type EnvelopeBase = Omit<OrderEvent, 'type' | 'data'>;

function eventFor(command: OrderCommand, previousStatus: OrderStatus, base: EnvelopeBase): OrderEvent {
  switch (command.type) {
    case 'pay':
      return { ...base, type: 'OrderPaid', data: { amount: command.amount } };
    case 'cancel':
      return {
        ...base,
        type: 'OrderCancelled',
        data: command.reason === undefined ? { previousStatus } : { previousStatus, reason: command.reason },
      };
    case 'fulfil':
      return { ...base, type: 'OrderFulfilled', data: {} };
    case 'ship':
      return { ...base, type: 'OrderShipped', data: shippedDataOf(command.scan) };
    case 'deliver':
      return { ...base, type: 'OrderDelivered', data: deliveredDataOf(command.scan) };
  }
}

/** The pending event is the last change of the order and is what this very command would have produced. */
function isRetryOf(pending: OrderEvent, order: Order, command: OrderCommand): boolean {
  if (
    pending.seq !== order.version ||
    pending.type !== TRANSITIONS[command.type satisfies OrderCommandType].event
  ) {
    return false;
  }
  switch (pending.type) {
    case 'OrderPaid':
      return command.type === 'pay' && command.amount === pending.data.amount;
    case 'OrderCancelled':
      return command.type === 'cancel' && command.reason === pending.data.reason;
    case 'OrderShipped':
    case 'OrderDelivered':
      return 'scan' in command && command.scan.scanId === pending.data.scanId;
    default:
      return true;
  }
}
