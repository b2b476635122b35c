import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { faultSwitchFromEnv } from '../shared/adapters/fault-switch.js';
import { legacyBrokerChannel } from '../shared/adapters/legacy-broker.js';
import { createLegacyOrderLinks } from '../shared/adapters/legacy-order-links.js';
import { legacyRejectionsOn } from '../shared/adapters/legacy-rejections.js';
import { importLegacyOrders, type LegacyImportOutcome } from '../shared/app/import-legacy-order.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { readRabbitMqEvent } from '../shared/queue/rabbitmq-event.js';
import { readConfig } from '../shared/wiring/config.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const faults = faultSwitchFromEnv();
const config = readConfig(['LEGACY_BROKER_ENDPOINT', 'LEGACY_BROKER_SECRET_ID', 'LEGACY_ORDERS_TABLE']);
const orders = createOrderPortsFromEnv();
const links = createLegacyOrderLinks({ tableName: config.LEGACY_ORDERS_TABLE });
const channel = legacyBrokerChannel({
  endpoint: config.LEGACY_BROKER_ENDPOINT,
  secretId: config.LEGACY_BROKER_SECRET_ID,
});
markConsumer('importLegacyOrder');

/**
 * `legacy.orders` (Amazon MQ for RabbitMQ) → an order per ERP message, as `POST /orders` places it, linked to its
 * ERP order (`LEGACY_ORDERS_TABLE`) for the statuses that go back. Refused messages go to `legacy.orders.rejected`
 * with their reason; any other failure fails the whole batch (an MQ event source has no partial batch response), and
 * the broker delivers it again up to the queue's delivery limit. The broker's user is read from its secret when the
 * channel is first opened, not per invocation.
 */
export const handler = middy(
  async (event: unknown): Promise<{ placed: number; alreadyPlaced: number; rejected: number }> => {
    const messages = readRabbitMqEvent(event);
    const rejections = legacyRejectionsOn(await channel());
    const outcomes = await importLegacyOrders(
      { ...orders, log: logger, faults, rejections, links },
      messages,
    );
    const count = (kind: LegacyImportOutcome['kind']) =>
      outcomes.filter((outcome) => outcome.kind === kind).length;
    const placed = count('placed');
    const alreadyPlaced = count('already-placed');
    const rejected = count('rejected');
    metricsRecorder.count('OrdersPlaced', placed);
    metricsRecorder.count('LegacyMessagesRejected', rejected);
    logger.info('ERP batch imported', { messages: messages.length, placed, alreadyPlaced, rejected });
    return { placed, alreadyPlaced, rejected };
  },
)
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
