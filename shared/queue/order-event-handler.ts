import type { SQSRecord } from 'aws-lambda';
import type { DeadLetterQueue, Log } from '../core/ports.js';
import { withDeadLettering } from './dead-lettering.js';
import { type OrderEventRecord, parseOrderEventRecord } from './order-event-record.js';

/** An order event as a use case receives it: parsed, with the id of the queue message that carried it. */
export type ReceivedOrderEvent = OrderEventRecord & { recordId: string };

/**
 * The record handler of a queue of order events, at the edge: each record is parsed, handed to `useCase` as a
 * `ReceivedOrderEvent`, and what retrying cannot help (a body that is no orderflow event, a permanent error) goes
 * to the dead-letter queue at once (`withDeadLettering`); anything else fails the record, which comes back.
 */
export function orderEventHandler(
  deadLetters: DeadLetterQueue,
  log: Pick<Log, 'warn'>,
  useCase: (received: ReceivedOrderEvent) => Promise<void>,
): (record: SQSRecord) => Promise<void> {
  return (record) =>
    withDeadLettering(record, deadLetters, log, () =>
      useCase({ recordId: record.messageId, ...parseOrderEventRecord(record) }),
    );
}
