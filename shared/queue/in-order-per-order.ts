import type { KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { PredecessorFailedError } from '../core/errors.js';

/**
 * A record handler that lets a batch's orders go in parallel and keeps each order's records in sequence: a record
 * waits for the previous record of its order; when that one failed, it fails too without running, as Powertools'
 * FIFO processor skips the rest of a message group (`skipGroupOnError`). Use it with `processInParallel: true`, a
 * new one per invocation.
 *
 * Why: an event source hands a function one batch at a time per shard or per poller, and a handler that awaits
 * each record in turn is as slow as the sum of its calls; orders are independent, only one order's events must
 * stay in order.
 *
 * @example
 * const handle = inOrderPerOrder(orderOfStreamRecord, handleRecord); // A1 B1 A2 → A1 and B1 at once, A2 after A1
 */
export function inOrderPerOrder<R>(
  orderOf: (record: R) => string,
  handle: (record: R) => Promise<void>,
): (record: R) => Promise<void> {
  const lastOfOrder = new Map<string, Promise<void>>();
  return (record) => {
    const orderId = orderOf(record);
    const previous = lastOfOrder.get(orderId) ?? Promise.resolve();
    const run = previous.then(
      () => handle(record),
      () => {
        throw new PredecessorFailedError(orderId);
      },
    );
    lastOfOrder.set(orderId, run);
    return run;
  };
}

/** The order of a stream record: `order-activity` is partitioned by orderId. */
export const orderOfStreamRecord = (record: KinesisStreamRecord): string => record.kinesis.partitionKey;

/** The order of a queue record: order events are published with `MessageGroupId = orderId`. */
export const orderOfQueueRecord = (record: SQSRecord): string =>
  record.attributes.MessageGroupId ?? record.messageId;
