import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createDeadLetterQueue } from '../shared/adapters/dead-letter-queue.js';
import { createNotifier } from '../shared/adapters/notifier.js';
import { createReviewStore } from '../shared/adapters/review-store.js';
import { reviewOrder } from '../shared/app/review-order.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { countBatch } from '../shared/queue/batch-metrics.js';
import { orderEventHandler } from '../shared/queue/order-event-handler.js';
import { ORDER_EVENT_RECORDS } from '../shared/queue/order-event-record.js';
import { RecordFailures } from '../shared/queue/record-failures.js';
import { readConfig } from '../shared/wiring/config.js';

const config = readConfig(['REVIEWS_TABLE', 'DEAD_LETTER_QUEUE_NAME']);
const ports = {
  reviews: createReviewStore({ tableName: config.REVIEWS_TABLE }),
  notifier: createNotifier(),
  log: logger,
};
const deadLetters = createDeadLetterQueue({
  queueName: config.DEAD_LETTER_QUEUE_NAME,
  metrics: metricsRecorder,
});
markConsumer('reviewOrder');
const handleRecord = orderEventHandler(deadLetters, logger, (received) => reviewOrder(ports, received));
const processor = new SqsFifoPartialProcessorAsync();

/** `review.fifo` → a review case per high-value order, published to `ops/reviews`; each failed record logged. */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const failures = new RecordFailures(ORDER_EVENT_RECORDS);
  const response = await processPartialResponse(event, failures.watch(handleRecord), processor, {
    context,
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
  countBatch({ records: event.Records.length, failed: response.batchItemFailures.length });
  return failures.report(logger, event.Records, response);
})
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
