import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { legacyBrokerChannel } from '../shared/adapters/legacy-broker.js';
import { createLegacyOrderLinks } from '../shared/adapters/legacy-order-links.js';
import { legacyStatusPublisher } from '../shared/adapters/legacy-status-publisher.js';
import { publishLegacyStatus } from '../shared/app/publish-legacy-status.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { inOrderActivityHandler } from '../shared/queue/in-order-activity-handler.js';
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
markConsumer('publishLegacyStatus');

/**
 * `order-activity` → each status change of an ERP order to the ERP, on the exchange `orderflow.status` with routing
 * key `erp.<account>`; other orders' changes are skipped. A failed record (the broker unreachable, a nack) is
 * reported with the later records of its order, and Lambda delivers them again: never dropped.
 */
export const handler = middy(inOrderActivityHandler((activity) => publishLegacyStatus(ports, activity)))
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
