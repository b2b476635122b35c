import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RedriveTarget } from '../core/ports.js';
import { createSqsClient } from './clients.js';
import { FAILURE_REASON_ATTRIBUTE } from './dead-letter-queue.js';
import { REDRIVE_COUNT_ATTRIBUTE } from './dead-letter-source.js';
import { asDependencyError } from './dependency-error.js';
import { queueUrlResolver } from './queue-url.js';

/** Attributes the DLQ added (see `createDeadLetterQueue`); they do not go back to the source queue. */
const DLQ_ONLY_ATTRIBUTES = new Set([FAILURE_REASON_ATTRIBUTE, 'sourceMessageId']);

/**
 * `RedriveTarget` on the DLQ's FIFO source queue: the same body and group, the given deduplication id, the
 * message's own attributes (without the DLQ's) and the new `redriveCount`.
 */
export function createRedriveTarget({
  client = createSqsClient(),
  queueName,
}: {
  client?: SQSClient;
  queueName: string;
}): RedriveTarget {
  const queueUrl = queueUrlResolver(client, queueName);
  return {
    async send(message, deduplicationId, redriveCount) {
      const carried = Object.entries(message.attributes).filter(([name]) => !DLQ_ONLY_ATTRIBUTES.has(name));
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: await queueUrl(),
            MessageBody: message.body,
            MessageGroupId: message.groupId,
            MessageDeduplicationId: deduplicationId,
            MessageAttributes: {
              ...Object.fromEntries(carried),
              [REDRIVE_COUNT_ATTRIBUTE]: { DataType: 'Number', StringValue: String(redriveCount) },
            },
          }),
        );
      } catch (error) {
        throw asDependencyError('SQS', error, message.orderId);
      }
    },
  };
}
