import type { KinesisStreamRecord, SQSRecord } from 'aws-lambda';

/** A partial batch response, as an SQS or a Kinesis consumer answers Lambda. */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * The answer that reports `records` as failed, in order: SQS records by message id, Kinesis records by sequence
 * number (Lambda retries from the first one).
 */
export function failures(...records: ReadonlyArray<SQSRecord | KinesisStreamRecord>): BatchResponse {
  return {
    batchItemFailures: records.map((record) => ({
      itemIdentifier: 'messageId' in record ? record.messageId : record.kinesis.sequenceNumber,
    })),
  };
}

/** The answer of a batch that went through. */
export const NO_FAILURES: BatchResponse = { batchItemFailures: [] };
