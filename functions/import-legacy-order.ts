import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { brokerChannel } from '../shared/adapters/broker-channel.js';
import { legacyRejectionsOn } from '../shared/adapters/legacy-rejections.js';
import { importLegacyOrders, type LegacyImportOutcome } from '../shared/app/import-legacy-order.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { readRabbitMqEvent } from '../shared/queue/rabbitmq-event.js';
import { readConfig } from '../shared/wiring/config.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const config = readConfig(['LEGACY_BROKER_URL']);
const orders = createOrderPortsFromEnv();
const channel = brokerChannel(config.LEGACY_BROKER_URL);
markConsumer('importLegacyOrder');

/**
 * `legacy.orders` (Amazon MQ for RabbitMQ) → an order per ERP message, as `POST /orders` places it. Refused messages
 * go to `legacy.orders.rejected` with their reason; any other failure fails the whole batch (an MQ event source has
 * no partial batch response), and the broker delivers it again up to the queue's delivery limit.
 */
export const handler = middy(async (event: unknown): Promise<{ placed: number; rejected: number }> => {
  const messages = readRabbitMqEvent(event);
  const rejections = legacyRejectionsOn(await channel());
  const outcomes = await importLegacyOrders({ ...orders, rejections }, messages);
  const count = (kind: LegacyImportOutcome['kind']) =>
    outcomes.filter((outcome) => outcome.kind === kind).length;
  const placed = count('placed');
  const rejected = count('rejected');
  metricsRecorder.count('OrdersPlaced', placed);
  metricsRecorder.count('LegacyMessagesRejected', rejected);
  logger.info('ERP batch imported', { messages: messages.length, placed, rejected });
  return { placed, rejected };
})
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
