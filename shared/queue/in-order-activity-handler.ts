import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { ActivityRecord } from '../core/activity.js';
import { logger } from '../observability.js';
import { ACTIVITY_RECORDS, parseActivityRecord } from './activity-record.js';
import { countBatch, countStreamAge } from './batch-metrics.js';
import { inOrderPerOrder, orderOfStreamRecord } from './in-order-per-order.js';
import { RecordFailures } from './record-failures.js';

/**
 * The handler of an `order-activity` consumer that tells someone of each status change in the order it happened
 * (notifyCustomer, publishLegacyStatus): the orders of a batch in parallel, each order's records one after another
 * in shard order; a failed record is reported with the later records of its order (partial batch response), and
 * logged; the batch's age and size are counted.
 */
export function inOrderActivityHandler(
  handleActivity: (activity: ActivityRecord) => Promise<unknown>,
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const handleRecord = async (record: KinesisStreamRecord): Promise<void> => {
    await handleActivity(parseActivityRecord(record));
  };
  return async (event, context) => {
    const failures = new RecordFailures(ACTIVITY_RECORDS);
    const response = await processPartialResponse(
      event,
      failures.watch(inOrderPerOrder(orderOfStreamRecord, handleRecord)),
      processor,
      { context, throwOnFullBatchFailure: false, processInParallel: true },
    );
    countStreamAge(event.Records);
    countBatch({ records: event.Records.length, failed: response.batchItemFailures.length });
    return failures.report(logger, event.Records, response);
  };
}
