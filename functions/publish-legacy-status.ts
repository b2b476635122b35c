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
import { legacyBrokerChannel } from '../shared/adapters/legacy-broker.js';
import { createLegacyOrderLinks } from '../shared/adapters/legacy-order-links.js';
import { legacyStatusPublisher } from '../shared/adapters/legacy-status-publisher.js';
import { publishLegacyStatus } from '../shared/app/publish-legacy-status.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { ACTIVITY_RECORDS, parseActivityRecord } from '../shared/queue/activity-record.js';
import { countBatch, countStreamAge } from '../shared/queue/batch-metrics.js';
import { inOrderPerOrder, orderOfStreamRecord } from '../shared/queue/in-order-per-order.js';
import { RecordFailures } from '../shared/queue/record-failures.js';
import { readConfig } from '../shared/wiring/config.js';

const config = readConfig(['LEGACY_BROKER_ENDPOINT', 'LEGACY_BROKER_SECRET_ID', 'LEGACY_ORDERS_TABLE']);
const ports = {
  links: createLegacyOrderLinks({ tableName: config.LEGACY_ORDERS_TABLE }),
  // Opened by the first status of an ERP order, not at cold start: a batch without one needs no broker.
  publisher: legacyStatusPublisher(
    legacyBrokerChannel({
      endpoint: config.LEGACY_BROKER_ENDPOINT,
      secretId: config.LEGACY_BROKER_SECRET_ID,
    }),
  ),
  log: logger,
  metrics: metricsRecorder,
};
const handleRecord = async (record: KinesisStreamRecord) => {
  await publishLegacyStatus(ports, parseActivityRecord(record));
};
const processor = new BatchProcessor(EventType.KinesisDataStreams);
markConsumer('publishLegacyStatus');

/**
 * `order-activity` → each status change of an ERP order to the ERP, on the exchange `orderflow.status` with routing
 * key `erp.<account>`; other orders' changes are skipped. A failed record (the broker unreachable, a nack) is
 * reported with the later records of its order, and Lambda delivers them again: never dropped.
 */
export const handler = middy(
  async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
    const failures = new RecordFailures(ACTIVITY_RECORDS);
    // Orders in parallel, each order's statuses one after another in shard order: the ERP gets them in seq order.
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
