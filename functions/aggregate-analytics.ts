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
import { createAnalyticsStore } from '../shared/adapters/analytics-store.js';
import { faultSwitchFromEnv } from '../shared/adapters/fault-switch.js';
import { createNotifier } from '../shared/adapters/notifier.js';
import { AnalyticsRun } from '../shared/app/aggregate-analytics.js';
import { logger, markConsumer, metrics, traceHandler } from '../shared/observability.js';
import { ACTIVITY_RECORDS, parseActivityRecord } from '../shared/queue/activity-record.js';
import { countBatch, countStreamAge } from '../shared/queue/batch-metrics.js';
import { RecordFailures } from '../shared/queue/record-failures.js';
import { readConfig } from '../shared/wiring/config.js';

const config = readConfig(['ANALYTICS_TABLE']);
const ports = {
  store: createAnalyticsStore({ tableName: config.ANALYTICS_TABLE }),
  notifier: createNotifier(),
  faults: faultSwitchFromEnv(),
  log: logger,
};
const processor = new BatchProcessor(EventType.KinesisDataStreams);
markConsumer('aggregateAnalytics');

/** `order-activity` → replay-safe one-minute windows per region; closed windows to `analytics/orders/summary`. */
export const handler = middy(
  async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
    const run = new AnalyticsRun(ports);
    const failures = new RecordFailures(ACTIVITY_RECORDS);
    const count = failures.watch((record: KinesisStreamRecord) => run.count(parseActivityRecord(record)));
    const response = await processPartialResponse(event, count, processor, {
      context,
      throwOnFullBatchFailure: false,
      // Every record is one idempotent conditional ADD on its window: they may be counted in any order.
      processInParallel: true,
    });
    await run.finish({ failed: response.batchItemFailures.length > 0 });
    countStreamAge(event.Records);
    countBatch({ records: event.Records.length, failed: response.batchItemFailures.length });
    return failures.report(logger, event.Records, response);
  },
)
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
