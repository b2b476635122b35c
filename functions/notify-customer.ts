import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createNotifier } from '../shared/adapters/notifier.js';
import { notifyCustomer } from '../shared/app/notify-customer.js';
import { logger, markConsumer, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { inOrderActivityHandler } from '../shared/queue/in-order-activity-handler.js';

const ports = { notifier: createNotifier(), log: logger, metrics: metricsRecorder };
markConsumer('notifyCustomer');

/**
 * `order-activity` → each status change to the customer's devices on `orders/{customerId}/{orderId}/status`, each
 * order's statuses in the order they happened; each failed record logged.
 */
export const handler = middy(inOrderActivityHandler((activity) => notifyCustomer(ports, activity)))
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
