import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import type { MockInstance } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import type { OrderEventMessage } from './sqs-event.js';

/** The message of every failed-record log entry, whichever consumer logs it: one log filter finds them all. */
export const RECORD_FAILED = 'Record failed; it will be delivered again';

/** A reason as the Kinesis consumers log it: Lambda retries from the failed record. */
export function retriedInShard(reason: string): string {
  return `${reason.replace(/\.$/, '')} (this record and those after it in the shard will be retried)`;
}

/** The spy on a logger's `warn`. */
export type WarnSpy = MockInstance<Logger['warn']>;

/** How DynamoDB throttling reads in a reason: the dependency error and the SDK error behind it. */
export function dynamoDbThrottled(
  name: 'ThrottlingException' | 'ProvisionedThroughputExceededException',
): string {
  return (
    'DependencyUnavailableError: DynamoDB is unavailable right now; retry the same request. — caused by ' +
    `${name}: Rate of requests exceeds the allowed throughput.`
  );
}

/** The WARN entry of a failed stream record: the one message, the record's ids, seq and status, and why it failed. */
export function failedStreamRecordLog(record: KinesisStreamRecord, activity: ActivityRecord, reason: string) {
  const { orderId, seq, eventId, status } = activity;
  return [
    RECORD_FAILED,
    {
      sequenceNumber: record.kinesis.sequenceNumber,
      orderId,
      seq,
      eventId,
      status,
      reason: retriedInShard(reason),
    },
  ];
}

/** The WARN entry of a failed queue record: the one message, the record's ids and seq, and why it failed. */
export function failedRecordLog(record: SQSRecord, { event }: OrderEventMessage, reason: string) {
  return [
    RECORD_FAILED,
    { messageId: record.messageId, orderId: event.orderId, seq: event.seq, eventId: event.eventId, reason },
  ];
}
