import type { KinesisStreamRecord } from 'aws-lambda';
import { PredecessorFailedError } from '../errors.js';

/**
 * A Kinesis record handler that lets a batch's orders go in parallel and keeps each order's records in sequence:
 * a record waits for the previous record of its order (its partition key); when that one failed, it fails too
 * without running, as Powertools' FIFO processor skips the rest of a message group. Use it with
 * `processInParallel: true`, one per invocation.
 *
 * Why: a shard delivers one batch at a time, so a consumer that awaits each record in turn is as slow as the sum
 * of its calls; orders are independent, and only their own changes must stay in order.
 *
 * @example
 * const handle = inOrderPerOrder(handleRecord); // records A1 B1 A2 → A1 and B1 run at once; A2 after A1
 */
export function inOrderPerOrder(
  handle: (record: KinesisStreamRecord) => Promise<void>,
): (record: KinesisStreamRecord) => Promise<void> {
  const lastOfOrder = new Map<string, Promise<void>>();
  return (record) => {
    const orderId = record.kinesis.partitionKey;
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
