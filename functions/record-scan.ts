import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createNotifier } from '../shared/adapters/notifier.js';
import { recordScan, type ScanOutcome } from '../shared/app/record-scan.js';
import { newEventContext } from '../shared/ids.js';
import { logger, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { createOrderPortsFromEnv } from '../shared/wiring/order-ports.js';

const ports = {
  ...createOrderPortsFromEnv(),
  notifier: createNotifier(),
  log: logger,
  metrics: metricsRecorder,
};

/**
 * The IoT topic rule `WarehouseScansRule` → a scan of `warehouse/{siteId}/scans` (the rule's SELECT output, no
 * envelope), invoked asynchronously: what it throws, Lambda retries twice and then sends to scan-failures.
 */
export const handler = middy(
  async (event: unknown): Promise<ScanOutcome> => recordScan(ports, event, newEventContext()),
)
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
