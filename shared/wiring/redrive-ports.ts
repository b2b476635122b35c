import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSqsClient } from '../adapters/clients.js';
import { createDeadLetterSource } from '../adapters/dead-letter-source.js';
import { createDocumentClient } from '../adapters/document-client.js';
import { createParkingStore } from '../adapters/parking-store.js';
import { createRedriveTarget } from '../adapters/redrive-target.js';
import type { RedrivePorts } from '../app/redrive-dlq.js';
import { readConfig } from './config.js';

/** The queues a redrive knows, by the name used in commands (`--queue fulfillment`). */
export const REDRIVE_QUEUES = ['fulfillment', 'review'] as const;
export type RedriveQueue = (typeof REDRIVE_QUEUES)[number];

/**
 * The redrive ports for each queue, from the environment serverless.yml gives `redriveDlq` (the `npm run redrive`
 * command reads the same variables from the packaged template).
 */
export function createRedrivePortsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clients: { sqs?: SQSClient; dynamodb?: DynamoDBDocumentClient } = {},
): (queue: RedriveQueue) => RedrivePorts {
  const config = readConfig(
    [
      'PARKING_TABLE',
      'FULFILLMENT_QUEUE_NAME',
      'FULFILLMENT_DLQ_NAME',
      'REVIEW_QUEUE_NAME',
      'REVIEW_DLQ_NAME',
    ],
    env,
  );
  const sqs = clients.sqs ?? createSqsClient();
  const parking = createParkingStore({
    client: clients.dynamodb ?? createDocumentClient(),
    tableName: config.PARKING_TABLE,
  });
  const names = {
    fulfillment: { queue: config.FULFILLMENT_QUEUE_NAME, dlq: config.FULFILLMENT_DLQ_NAME },
    review: { queue: config.REVIEW_QUEUE_NAME, dlq: config.REVIEW_DLQ_NAME },
  } satisfies Record<RedriveQueue, { queue: string; dlq: string }>;
  const portsOf = (queue: RedriveQueue): RedrivePorts => ({
    source: createDeadLetterSource({ client: sqs, queueName: names[queue].dlq }),
    target: createRedriveTarget({ client: sqs, queueName: names[queue].queue }),
    parking,
    lock: parking,
  });
  const ports: Record<RedriveQueue, RedrivePorts> = {
    fulfillment: portsOf('fulfillment'),
    review: portsOf('review'),
  };
  return (queue) => ports[queue];
}
