import { type ActivityRecord, activityOf } from '../core/activity.js';
import { withCorrelationId } from '../core/correlation.js';
import { describeError, SequenceGapError, TransitionNotAllowedError } from '../core/errors.js';
import { planGroupFailures } from '../core/fifo-batch.js';
import type { MetricsRecorder } from '../core/metric-names.js';
import type { Order } from '../core/order.js';
import type { OrderEvent } from '../core/order-events.js';
import type { ActivityStream, FaultSwitch, Log, NotWritten, ProgressStore } from '../core/ports.js';
import { decideFulfillmentSequence } from '../core/sequencing.js';
import { fulfillmentEventIdFor, newEventContext } from '../ids.js';
import type { ReceivedOrderEvent } from '../queue/order-event-handler.js';
import type { OrderEventRecord } from '../queue/order-event-record.js';
import { byThePipeline, type OrderPorts, runOrderCommand } from './order-commands.js';

export interface FulfillmentPorts {
  orders: OrderPorts;
  progress: ProgressStore;
  activity: ActivityStream;
  faults: FaultSwitch;
  log: Pick<Log, 'info' | 'warn'>;
  /** Counts applied events, duplicates, gaps and fulfillments (at least once: a redelivery counts again). */
  metrics: MetricsRecorder;
}

/** An applied event of this invocation, waiting for its status changes to reach the stream. */
interface Staged {
  recordId: string;
  orderId: string;
  seq: number;
  activities: ActivityRecord[];
}

/** A record of the batch, as `finish` needs it: its id and its message group (the order). */
export interface BatchItem {
  id: string;
  groupId: string;
}

/**
 * One invocation of `processOrder` over a batch of `fulfillment.fifo`: `apply` runs per event (each message group
 * in order, the rest of a group skipped after a failure); `finish` writes the batch's status changes to Kinesis
 * (`PutRecords`, one record per order per call), then moves each order's cursor, and says which records must come
 * back and why.
 */
export class FulfillmentRun {
  /** Applied seq per order: read once per invocation, advanced in memory as records apply. */
  readonly #cursors = new Map<string, { stored: number; current: number }>();
  readonly #staged: Staged[] = [];
  /** Why records that were applied still failed (the stream or the cursor refused): recordId → reason. */
  readonly #reasons = new Map<string, string>();

  constructor(private readonly ports: FulfillmentPorts) {}

  /**
   * Sequence and apply one event: a status change (SHIPPED and DELIVERED as any other), and the fulfillment of a
   * paid order. The `OrderShipped` after a fulfilment follows the payment directly (`decideFulfillmentSequence`).
   */
  readonly apply = async ({ recordId, event, attributes }: ReceivedOrderEvent): Promise<void> => {
    this.ports.faults.check(event);
    const cursor = await this.#cursor(event.orderId);
    const decision = decideFulfillmentSequence(cursor.current, event);
    if (decision.kind === 'duplicate') {
      this.ports.metrics.count('DuplicatesDropped');
      this.ports.log.info('Duplicate event acknowledged', {
        orderId: event.orderId,
        ...withCorrelationId(event.correlationId),
        eventId: event.eventId,
        seq: event.seq,
        applied: cursor.current,
      });
      return;
    }
    if (decision.kind === 'gap') {
      this.ports.metrics.count('GapsRetried');
      throw new SequenceGapError(event.orderId, decision.expected, event.seq);
    }
    const activities = [activityOf(event, attributes), ...(await this.#fulfilIfPaid({ event, attributes }))];
    this.#staged.push({ recordId, orderId: event.orderId, seq: event.seq, activities });
    cursor.current = event.seq;
    this.ports.metrics.count('RecordsProcessed');
    // Records of several orders are applied at once: the keys go on each line, not on the shared logger.
    this.ports.log.info('Event applied', {
      orderId: event.orderId,
      ...withCorrelationId(event.correlationId),
      eventId: event.eventId,
      seq: event.seq,
      statuses: activities.map((activity) => activity.status),
    });
  };

  /**
   * After every event was applied or failed: record the status changes, advance the cursors, and answer with every
   * record that must come back (the rest of a group after a failure included) and, for the records that failed
   * here, why.
   */
  async finish(
    items: readonly BatchItem[],
    failedIds: ReadonlySet<string>,
  ): Promise<{ failed: string[]; reasons: ReadonlyMap<string, string> }> {
    const failed = new Set(failedIds);
    // Orders were applied in parallel: their status changes go out in the batch's order, whoever finished first.
    const position = new Map(items.map((item, index) => [item.id, index]));
    this.#staged.sort((a, b) => (position.get(a.recordId) ?? 0) - (position.get(b.recordId) ?? 0));
    for (const recordId of await this.#recordActivities()) failed.add(recordId);
    for (const recordId of await this.#advanceCursors(failed)) failed.add(recordId);
    return { failed: planGroupFailures(items, failed), reasons: this.#reasons };
  }

  #note(recordId: string, reason: string): void {
    if (!this.#reasons.has(recordId)) this.#reasons.set(recordId, reason);
  }

  async #cursor(orderId: string) {
    let cursor = this.#cursors.get(orderId);
    if (cursor === undefined) {
      const stored = await this.ports.progress.applied(orderId);
      cursor = { stored, current: stored };
      this.#cursors.set(orderId, cursor);
    }
    return cursor;
  }

  /**
   * A paid order is fulfilled: `OrderFulfilled` appended with the same conditional write as any command, keyed by
   * the paid event so that a redelivery resumes instead of failing. A racing cancel wins (the order is not PAID
   * any more): nothing to fulfil, and its own event will come.
   *
   * The fulfilment is the payment's next event: seq `paid + 1`, whatever the order's version now. A redelivery that
   * resumes it may find the order moved on (a scan shipped it meanwhile); the fulfilment's own time went with its
   * outbox then, and its status change carries the payment's time, the nearest one known.
   */
  async #fulfilIfPaid({ event, attributes }: OrderEventRecord): Promise<ActivityRecord[]> {
    if (event.type !== 'OrderPaid') return [];
    const fulfillmentEventId = fulfillmentEventIdFor(event.eventId);
    let order: Order;
    try {
      order = await runOrderCommand(
        this.ports.orders,
        event.orderId,
        { type: 'fulfil', idempotencyKey: event.eventId },
        { ...newEventContext(event.correlationId), eventId: fulfillmentEventId },
        byThePipeline,
      );
    } catch (error) {
      if (!(error instanceof TransitionNotAllowedError)) throw error;
      this.ports.log.info('Not fulfilled: the order changed first', {
        orderId: event.orderId,
        ...withCorrelationId(event.correlationId),
        eventId: event.eventId,
        reason: error.message,
      });
      return [];
    }
    this.ports.metrics.count('OrdersFulfilled');
    const seq = event.seq + 1;
    const fulfilled: OrderEvent<'OrderFulfilled'> = {
      eventId: fulfillmentEventId,
      type: 'OrderFulfilled',
      orderId: order.orderId,
      customerId: order.customerId,
      seq,
      occurredAt: order.version === seq ? order.updatedAt : event.occurredAt,
      ...withCorrelationId(event.correlationId),
      data: {},
    };
    return [activityOf(fulfilled, attributes)];
  }

  /** The batch's status changes to the stream; returns the records whose changes did not all get written. */
  async #recordActivities(): Promise<string[]> {
    const activities = this.#staged.flatMap((staged) => staged.activities);
    if (activities.length === 0) return [];
    let notWritten: NotWritten[];
    try {
      notWritten = await this.ports.activity.putAll(activities);
    } catch (error) {
      const reason = `the activity stream refused the whole PutRecords call: ${describeError(error)}`;
      for (const staged of this.#staged) this.#note(staged.recordId, reason);
      return this.#staged.map((staged) => staged.recordId);
    }
    const failedEvents = new Map(notWritten.map(({ record, reason }) => [record.eventId, reason]));
    const failed = this.#staged.filter((staged) =>
      staged.activities.some((activity) => failedEvents.has(activity.eventId)),
    );
    for (const staged of failed) {
      // A status change never sent, behind a refused one of its order, has no reason: its record is skipped.
      const reason = staged.activities.map((activity) => failedEvents.get(activity.eventId)).find(Boolean);
      if (reason !== undefined) this.#note(staged.recordId, reason);
    }
    return failed.map((staged) => staged.recordId);
  }

  /**
   * One conditional write per order, the orders at once: from the stored cursor to the last applied seq before the first failure of
   * its group. Returns the records whose cursor could not be written (they come back and count as duplicates or
   * apply again: every effect is idempotent).
   */
  async #advanceCursors(failed: ReadonlySet<string>): Promise<string[]> {
    const perOrder = await Promise.all(
      [...this.#cursors].map(async ([orderId, cursor]) => {
        const staged = this.#staged.filter((entry) => entry.orderId === orderId);
        const firstFailure = staged.findIndex((entry) => failed.has(entry.recordId));
        const applied = firstFailure === -1 ? staged : staged.slice(0, firstFailure);
        const last = applied.at(-1);
        if (last === undefined) return [];
        const reason = await this.#advance(orderId, cursor.stored, last.seq);
        if (reason === undefined) return [];
        for (const entry of applied) this.#note(entry.recordId, reason);
        return applied.map((entry) => entry.recordId);
      }),
    );
    return perOrder.flat();
  }

  /** Moves one order's cursor with its conditional write; says why when it did not move. */
  async #advance(orderId: string, from: number, to: number): Promise<string | undefined> {
    try {
      if (await this.ports.progress.advance(orderId, from, to)) return undefined;
      // Another delivery moved it: these records come back, and count as duplicates or apply in order.
      return `cursor moved by another delivery (it was no longer at seq ${from}); the event comes back as a duplicate or applies in order`;
    } catch (error) {
      return `could not move the cursor: ${describeError(error)}`;
    }
  }
}

/** Why applying an event failed, in an operator's words. */
export function failureReasonOf(error: unknown): string {
  if (error instanceof SequenceGapError) {
    return `gap: expected seq ${error.expectedSeq}, got ${error.receivedSeq} (an earlier event of this order has not been applied yet)`;
  }
  return describeError(error);
}
