import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { ActivityRecord } from '../core/activity.js';
import { describeError } from '../core/errors.js';
import type { ActivityStream, NotWritten } from '../core/ports.js';
import { createKinesisClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';
import { isTransientAwsError } from './transient-errors.js';

/** PutRecords takes at most 500 records per call. */
const MAX_RECORDS_PER_CALL = 500;

export interface ActivityStreamOptions {
  /** Kinesis wants an HTTP/1.1 handler locally (kinesalite); it is also fine on AWS. */
  client?: KinesisClient;
  streamName: string;
  /** Calls per record before it counts as failed (the first and the retries). */
  maxAttempts?: number;
  /** First backoff; doubles with each retry. */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `ActivityStream` on Kinesis `PutRecords`: partition key `orderId`, up to 500 records a call (one per order); a
 * partial failure retries only the failed entries, with exponential backoff; what still fails is returned with the
 * last answer it got, never dropped silently.
 */
export function createActivityStream({
  client = createKinesisClient(),
  streamName,
  maxAttempts = 4,
  baseDelayMs = 50,
  sleep = wait,
}: ActivityStreamOptions): ActivityStream {
  const putChunk = async (records: readonly ActivityRecord[]): Promise<Required<NotWritten>[]> => {
    let pending = records.map((record) => ({ record, reason: 'not sent yet' }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(baseDelayMs * 2 ** (attempt - 2));
      try {
        const { Records = [] } = await client.send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: pending.map(({ record }) => toEntry(record)),
          }),
        );
        // Results come back in request order; an entry with an ErrorCode was not written.
        // A missing result counts as not written: nothing is dropped without being retried or reported.
        pending = pending.flatMap(({ record }, index) => {
          const result = Records[index];
          if (result === undefined)
            return [{ record, reason: 'PutRecords returned no result for the record' }];
          if (result.ErrorCode === undefined) return [];
          const detail = result.ErrorMessage
            ? `${result.ErrorCode}: ${result.ErrorMessage}`
            : result.ErrorCode;
          return [{ record, reason: `the activity stream refused the record (PutRecords entry ${detail})` }];
        });
      } catch (error) {
        if (!isTransientAwsError(error)) throw asDependencyError('KINESIS', error);
        const reason = `the activity stream refused the whole PutRecords call: ${describeError(error)}`;
        pending = pending.map(({ record }) => ({ record, reason }));
      }
      if (attempt >= maxAttempts) return pending;
    }
    return [];
  };

  return {
    /**
     * Kinesis does not order the entries of one call, so a call holds at most one record per order: an order's
     * status changes reach the stream in the order given. Once one of an order's records fails for good, its later
     * records are not written and are returned with it (its event comes back and writes them again, in order).
     */
    async putAll(records) {
      const byOrder = new Map<string, ActivityRecord[]>();
      for (const record of records) {
        const queue = byOrder.get(record.orderId);
        if (queue === undefined) byOrder.set(record.orderId, [record]);
        else queue.push(record);
      }
      const failed: NotWritten[] = [];
      while (byOrder.size > 0) {
        const round = [...byOrder.values()].flatMap((queue) => queue.slice(0, 1));
        const notWritten = new Map<ActivityRecord, string>();
        for (let start = 0; start < round.length; start += MAX_RECORDS_PER_CALL) {
          for (const { record, reason } of await putChunk(round.slice(start, start + MAX_RECORDS_PER_CALL)))
            notWritten.set(record, reason);
        }
        for (const [orderId, queue] of byOrder) {
          const [head, ...behind] = queue;
          const reason = head === undefined ? undefined : notWritten.get(head);
          if (head !== undefined && reason !== undefined) {
            failed.push({ record: head, reason }, ...behind.map((record) => ({ record })));
            byOrder.delete(orderId);
          } else if (queue.length <= 1) {
            byOrder.delete(orderId);
          } else {
            queue.shift();
          }
        }
      }
      return failed;
    },
  };
}

function toEntry(record: ActivityRecord): PutRecordsRequestEntry {
  return { PartitionKey: record.orderId, Data: Buffer.from(JSON.stringify(record)) };
}
