import type { KinesisStreamRecord } from 'aws-lambda';
import { metricsRecorder, recordIteratorAge } from '../observability.js';

/**
 * What every batch counts: the records that must come back (`BatchItemFailures`) and, unless the consumer counts
 * them itself as it applies them, the ones that went through (`RecordsProcessed`).
 */
export function countBatch(
  { records, failed }: { records: number; failed: number },
  { countProcessed = true }: { countProcessed?: boolean } = {},
): void {
  metricsRecorder.count('BatchItemFailures', failed);
  if (countProcessed) metricsRecorder.count('RecordsProcessed', records - failed);
}

/** A Kinesis batch's `IteratorAge`: how long its oldest record waited on the stream. */
export function countStreamAge(records: readonly KinesisStreamRecord[], now = Date.now()): void {
  const arrivals = records.map((record) => record.kinesis.approximateArrivalTimestamp);
  recordIteratorAge(arrivals.length === 0 ? undefined : Math.min(...arrivals), now);
}
