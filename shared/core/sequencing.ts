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
