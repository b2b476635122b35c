import { createEventBus } from '../adapters/event-bus.js';
import { createOrderStore } from '../adapters/order-store.js';
import type { OrderPorts } from '../app/order-commands.js';
import { logger, metricsRecorder } from '../observability.js';
import { readConfig } from './config.js';

/** The ports the order commands use, built once per container from the function's environment. */
export function createOrderPortsFromEnv(): OrderPorts & { idempotencyTable: string } {
  const config = readConfig(['ORDERS_TABLE', 'ORDER_EVENTS_TOPIC_ARN', 'IDEMPOTENCY_TABLE']);
  return {
    store: createOrderStore({ tableName: config.ORDERS_TABLE }),
    bus: createEventBus({ topicArn: config.ORDER_EVENTS_TOPIC_ARN, metrics: metricsRecorder }),
    log: logger,
    idempotencyTable: config.IDEMPOTENCY_TABLE,
  };
}
