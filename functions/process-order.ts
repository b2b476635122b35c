import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createActivityStream } from '../shared/adapters/activity-stream.js';
import { createDeadLetterQueue } from '../shared/adapters/dead-letter-queue.js';
import { faultSwitchFromEnv } from '../shared/adapters/fault-switch.js';
import { createProgressStore } from '../shared/adapters/progress-store.js';
import { FulfillmentRun, failureReasonOf } from '../shared/app/process-order.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { countBatch } from '../shared/queue/batch-metrics.js';
import { inOrderPerOrder, orderOfQueueRecord } from '../shared/queue/in-order-per-order.js';
import { orderEventHandler } from '../shared/queue/order-event-handler.js';
import { ORDER_EVENT_RECORDS } from '../shared/queue/order-event-record.js';
import { RecordFailures } from '../shared/queue/record-failures.js';
import { readConfig } from '../shared/wiring/config.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const config = readConfig(['FULFILLMENT_PROGRESS_TABLE', 'ACTIVITY_STREAM_NAME', 'DEAD_LETTER_QUEUE_NAME']);
const ports = {
  orders: createOrderPortsFromEnv(),
  progress: createProgressStore({ tableName: config.FULFILLMENT_PROGRESS_TABLE }),
  activity: createActivityStream({ streamName: config.ACTIVITY_STREAM_NAME }),
  faults: faultSwitchFromEnv(),
  log: logger,
  metrics: metricsRecorder,
};
const deadLetters = createDeadLetterQueue({
  queueName: config.DEAD_LETTER_QUEUE_NAME,
  metrics: metricsRecorder,
});
markConsumer('processOrder');
const processor = new BatchProcessor(EventType.SQS);

/** `fulfillment.fifo` → each order's events once and in order; paid orders fulfilled; status changes to Kinesis. */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const run = new FulfillmentRun(ports);
  const failures = new RecordFailures(ORDER_EVENT_RECORDS);
  const apply = failures.watch(orderEventHandler(deadLetters, logger, run.apply), failureReasonOf);
  // Orders (message groups) in parallel; within a group in order, the rest skipped after a failure.
  const processed = await processPartialResponse(
    event,
    inOrderPerOrder(orderOfQueueRecord, apply),
    processor,
    {
      context,
      throwOnFullBatchFailure: false,
      processInParallel: true,
    },
  );
  const items = event.Records.map((record) => ({
    id: record.messageId,
    groupId: orderOfQueueRecord(record),
  }));
  const { failed, reasons } = await run.finish(
    items,
    new Set(processed.batchItemFailures.map((failure) => failure.itemIdentifier)),
  );
  for (const [recordId, reason] of reasons) failures.note(recordId, reason);
  countBatch({ records: event.Records.length, failed: failed.length }, { countProcessed: false });
  return failures.report(logger, event.Records, {
    batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })),
  });
})
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
