import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { createNotifier } from '../shared/adapters/notifier.js';
import { notifyCustomer } from '../shared/app/notify-customer.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { ACTIVITY_RECORDS, parseActivityRecord } from '../shared/queue/activity-record.js';
import { countBatch, countStreamAge } from '../shared/queue/batch-metrics.js';
import { inOrderPerOrder, orderOfStreamRecord } from '../shared/queue/in-order-per-order.js';
import { RecordFailures } from '../shared/queue/record-failures.js';

const ports = { notifier: createNotifier(), log: logger, metrics: metricsRecorder };
const handleRecord = (record: KinesisStreamRecord) => notifyCustomer(ports, parseActivityRecord(record));
const processor = new BatchProcessor(EventType.KinesisDataStreams);
markConsumer('notifyCustomer');

/**
 * `order-activity` → each status change to the customer's devices on `orders/{customerId}/{orderId}/status`; each
 * failed record logged.
 */
export const handler = middy(
  async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
    const failures = new RecordFailures(ACTIVITY_RECORDS);
    // Orders in parallel, each order's statuses in shard order: a customer sees them in the order they happened.
    const response = await processPartialResponse(
      event,
      failures.watch(inOrderPerOrder(orderOfStreamRecord, handleRecord)),
      processor,
      {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: true,
      },
    );
    countStreamAge(event.Records);
    countBatch({ records: event.Records.length, failed: response.batchItemFailures.length });
    return failures.report(logger, event.Records, response);
  },
)
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
