import { createHash, randomUUID } from 'node:crypto';
import type { EventContext } from './core/order.js';

/**
 * A fresh event id and the current time: what the core needs to build an event, from outside the core; with the
 * correlation id of what causes the event, when there is one.
 */
export function newEventContext(correlationId?: string): EventContext {
  return {
    eventId: randomUUID(),
    now: new Date().toISOString(),
    ...(correlationId === undefined ? {} : { correlationId }),
  };
}

export function newOrderId(): string {
  return randomUUID();
}

/**
 * The order id of a create request sent with an `Idempotency-Key`: derived from the key and the request, so
 * that a retry after a failed publish finds the order the first attempt wrote and completes it.
 * UUID-shaped (version nibble 8, "custom") so it reads like every other order id.
 */
export function orderIdFor(idempotencyKey: string, request: unknown): string {
  const hex = createHash('sha256')
    .update(`orderflow:create:${idempotencyKey}:${JSON.stringify(request)}`)
    .digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The `eventId` of the `OrderFulfilled` that fulfilling after `paidEventId` appends: derived, so that a redelivered
 * `OrderPaid` records the same status change again (consumers drop it by `eventId`).
 */
export function fulfillmentEventIdFor(paidEventId: string): string {
  return orderIdFor(`fulfil:${paidEventId}`, null);
}

/** What an AMQP `messageId` may be to serve as an idempotency key as it is. */
const PLAIN_MESSAGE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The idempotency key of an ERP message: its AMQP `messageId` (a message sent again, or a batch redelivered, keeps
 * it), or its account and order number when the ERP set none. A `messageId` with other characters, or longer, is
 * hashed, so that every key fits the HTTP API's `Idempotency-Key` rules.
 */
export function legacyIdempotencyKey(
  messageId: string | undefined,
  { account, erpOrderNo }: { account: string; erpOrderNo: string },
): string {
  if (messageId === undefined || messageId === '') return `erp:${account}:${erpOrderNo}`;
  if (PLAIN_MESSAGE_ID.test(messageId)) return `amqp:${messageId}`;
  return `amqp-sha256:${createHash('sha256').update(messageId, 'utf8').digest('hex')}`;
}
