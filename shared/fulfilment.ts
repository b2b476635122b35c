import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { FaultSwitch } from './adapters/fault-switch.js';
import { type ActivityRecord, activityOf } from './core/activity.js';
import { planGroupFailures } from './core/fifo-batch.js';
import type { Order } from './core/order.js';
import type { OrderEvent } from './core/order-events.js';
import type { ActivityStream, DeadLetterQueue, ProgressStore } from './core/ports.js';
import { decideSequence } from './core/sequencing.js';
import { SequenceGapError, TransitionNotAllowedError } from './errors.js';
import { fulfilmentEventIdFor, newEventContext } from './ids.js';
import { type OrderPorts, runOrderCommand } from './order-commands.js';
import { withDeadLettering } from './queue/dead-lettering.js';
import { type OrderEventRecord, parseOrderEventRecord } from './queue/order-event-record.js';

export interface FulfilmentPorts {
  orders: OrderPorts;
  progress: ProgressStore;
  activity: ActivityStream;
  deadLetters: DeadLetterQueue;
  faults: FaultSwitch;
  log: OrderPorts['log'] & {
    info(message: string, extra: Record<string, unknown>): void;
    appendKeys(keys: Record<string, string>): void;
  };
}

/** An applied event of this invocation, waiting for its status changes to reach the stream. */
interface Staged {
  recordId: string;
  orderId: string;
  seq: number;
  activities: ActivityRecord[];
}

/**
 * One invocation of `processOrder` over a batch of `fulfillment.fifo`: `handle` runs per record (under Powertools'
 * FIFO processor, which skips the rest of a group after a failure); `finish` writes the batch's status changes to
 * Kinesis (`PutRecords`, one record per order per call), then moves each order's cursor, and reports what must
 * come back.
 */
export class FulfilmentRun {
  /** Applied seq per order: read once per invocation, advanced in memory as records apply. */
  readonly #cursors = new Map<string, { stored: number; current: number }>();
  readonly #staged: Staged[] = [];

  constructor(private readonly ports: FulfilmentPorts) {}

  /** The record handler: parse, sequence, apply (status change, fulfilment of a paid order). */
  readonly handle = (record: SQSRecord): Promise<void> =>
    withDeadLettering(record, this.ports.deadLetters, this.ports.log, async () => {
      const parsed = parseOrderEventRecord(record);
      const { event } = parsed;
      this.ports.log.appendKeys({ orderId: event.orderId, eventId: event.eventId });
      this.ports.faults.check(event);
      const cursor = await this.#cursor(event.orderId);
      const decision = decideSequence(cursor.current, event.seq);
      if (decision.kind === 'duplicate') {
        this.ports.log.info('Duplicate event acknowledged', { seq: event.seq, applied: cursor.current });
        return;
      }
      if (decision.kind === 'gap') throw new SequenceGapError(event.orderId, decision.expected, event.seq);
      const activities = [activityOf(event, parsed.attributes), ...(await this.#fulfilIfPaid(parsed))];
      this.#staged.push({ recordId: record.messageId, orderId: event.orderId, seq: event.seq, activities });
      cursor.current = event.seq;
    });

  /** After the processor: record the status changes, advance the cursors, answer with every failed record. */
  async finish(records: readonly SQSRecord[], processed: SQSBatchResponse): Promise<SQSBatchResponse> {
    const failed = new Set(processed.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const recordId of await this.#recordActivities()) failed.add(recordId);
    for (const recordId of await this.#advanceCursors(failed)) failed.add(recordId);
    const items = records.map((record) => ({
      id: record.messageId,
      groupId: record.attributes.MessageGroupId ?? record.messageId,
    }));
    return {
      batchItemFailures: planGroupFailures(items, failed).map((itemIdentifier) => ({ itemIdentifier })),
    };
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
   */
  async #fulfilIfPaid({ event, attributes }: OrderEventRecord): Promise<ActivityRecord[]> {
    if (event.type !== 'OrderPaid') return [];
    const fulfilmentEventId = fulfilmentEventIdFor(event.eventId);
    let order: Order;
    try {
      order = await runOrderCommand(
        this.ports.orders,
        event.orderId,
        { type: 'fulfil', idempotencyKey: event.eventId },
        { ...newEventContext(), eventId: fulfilmentEventId },
      );
    } catch (error) {
      if (!(error instanceof TransitionNotAllowedError)) throw error;
      this.ports.log.info('Not fulfilled: the order changed first', { reason: error.message });
      return [];
    }
    const fulfilled: OrderEvent<'OrderFulfilled'> = {
      eventId: fulfilmentEventId,
      type: 'OrderFulfilled',
      orderId: order.orderId,
      customerId: order.customerId,
      seq: order.version,
      occurredAt: order.updatedAt,
      data: {},
    };
    return [activityOf(fulfilled, attributes)];
  }

  /** The batch's status changes to the stream; returns the records whose changes did not all get written. */
  async #recordActivities(): Promise<string[]> {
    const activities = this.#staged.flatMap((staged) => staged.activities);
    if (activities.length === 0) return [];
    let notWritten: ActivityRecord[];
    try {
      notWritten = await this.ports.activity.putAll(activities);
    } catch (error) {
      this.ports.log.warn('The activity stream refused the batch; its events come back', { error });
      return this.#staged.map((staged) => staged.recordId);
    }
    const failedEvents = new Set(notWritten.map((activity) => activity.eventId));
    const failed = this.#staged.filter((staged) =>
      staged.activities.some((activity) => failedEvents.has(activity.eventId)),
    );
    if (failed.length > 0) {
      this.ports.log.warn('Status changes not written after retries; their events come back', {
        records: failed.map((staged) => staged.recordId),
      });
    }
    return failed.map((staged) => staged.recordId);
  }

  /**
   * One conditional write per order: from the stored cursor to the last applied seq before the first failure of
   * its group. Returns the records whose cursor could not be written (they come back and count as duplicates or
   * apply again: every effect is idempotent).
   */
  async #advanceCursors(failed: ReadonlySet<string>): Promise<string[]> {
    const notAdvanced: string[] = [];
    for (const [orderId, cursor] of this.#cursors) {
      const staged = this.#staged.filter((entry) => entry.orderId === orderId);
      const firstFailure = staged.findIndex((entry) => failed.has(entry.recordId));
      const applied = firstFailure === -1 ? staged : staged.slice(0, firstFailure);
      const last = applied.at(-1);
      if (last === undefined) continue;
      try {
        const moved = await this.ports.progress.advance(orderId, cursor.stored, last.seq);
        if (!moved) {
          // Another delivery moved it: these records come back, and count as duplicates or apply in order.
          this.ports.log.info('Cursor moved by another delivery; these events come back', {
            orderId,
            seq: last.seq,
          });
          notAdvanced.push(...applied.map((entry) => entry.recordId));
        }
      } catch (error) {
        this.ports.log.warn('Could not move the cursor; the events come back', { orderId, error });
        notAdvanced.push(...applied.map((entry) => entry.recordId));
      }
    }
    return notAdvanced;
  }
}
