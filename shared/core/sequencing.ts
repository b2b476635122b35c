import { type OrderEventType, TRANSITIONS } from './status-machine.js';

/**
 * Dedup and ordering in consumers — one rule, one single-item conditional write, no transactions.
 *
 * A consumer keeps, per order, the `seq` of the last event it applied (0 before the first). For an incoming event:
 * - `seq ≤ applied` — a duplicate (SQS redelivery, a republished event, a redrive): acknowledge, no effect;
 * - `seq = applied + 1` — apply it, then record `seq` on the condition that the stored value is still `applied`;
 * - `seq > applied + 1` — a gap: an earlier event has not been applied yet; fail it as retryable so it comes back
 *   after its predecessor.
 *
 * SQS FIFO deduplication (5 minutes) and Lambda redelivery are never trusted to be exactly-once: this rule is what
 * makes any number of deliveries in any order end in the state of in-order, once-only application.
 *
 * @example
 * decideSequence(2, 2) // { kind: 'duplicate' }
 * decideSequence(2, 3) // { kind: 'apply' }
 * decideSequence(2, 5) // { kind: 'gap', expected: 3 }
 */
export type SequenceDecision = { kind: 'duplicate' } | { kind: 'apply' } | { kind: 'gap'; expected: number };

export function decideSequence(appliedSeq: number, seq: number): SequenceDecision {
  if (seq <= appliedSeq) return { kind: 'duplicate' };
  if (seq === appliedSeq + 1) return { kind: 'apply' };
  return { kind: 'gap', expected: appliedSeq + 1 };
}

/** The event that follows `OrderFulfilled`, the one event `processOrder` appends itself (ship needs FULFILLED). */
const FOLLOWS_OWN_EVENT: OrderEventType = TRANSITIONS.ship.event;

/**
 * The rule as `processOrder` applies it on `fulfillment.fifo`, whose filter policy leaves `OrderFulfilled` out:
 * `processOrder` appends that event itself, while it applies the `OrderPaid` before it, and records its status change
 * together with the payment's. Its cursor stays on the payment's seq, and the event after a fulfilment — an
 * `OrderShipped`, the only event that follows `OrderFulfilled` — arrives two seqs on. That is the next event to
 * apply, not a gap: its predecessor was recorded with the payment (a cursor only moves past a payment once every
 * status change it made is written). Every other event follows the plain rule of `decideSequence`.
 *
 * @example
 * decideFulfillmentSequence(2, { type: 'OrderShipped', seq: 4 }) // { kind: 'apply' }: 3 was the OrderFulfilled
 * decideFulfillmentSequence(1, { type: 'OrderShipped', seq: 4 }) // { kind: 'gap', expected: 2 }
 * decideFulfillmentSequence(4, { type: 'OrderDelivered', seq: 5 }) // { kind: 'apply' }
 */
export function decideFulfillmentSequence(
  appliedSeq: number,
  event: { type: OrderEventType; seq: number },
): SequenceDecision {
  if (event.type === FOLLOWS_OWN_EVENT && event.seq === appliedSeq + 2) return { kind: 'apply' };
  return decideSequence(appliedSeq, event.seq);
}
