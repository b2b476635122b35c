import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type MetricsRecorder, NO_METRICS } from '../core/metric-names.js';
import type { DeadLetterQueue } from '../core/ports.js';
import { createSqsClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';
import { queueUrlResolver } from './queue-url.js';

/** The message attribute that says why a consumer gave up on a message. */
export const FAILURE_REASON_ATTRIBUTE = 'failureReason';

/**
 * `DeadLetterQueue` on a FIFO queue: the message keeps its group, is deduplicated by the source message id, and
 * says why in `failureReason`. The queue is named, not addressed: its URL is looked up once per container
 * (`GetQueueUrl`), so the same plain name works on AWS and on the local cloud. SQS clients keep their configured
 * endpoint (a queue URL may name another host).
 */
export function createDeadLetterQueue({
  client = createSqsClient(),
  queueName,
  metrics = NO_METRICS,
}: {
  client?: SQSClient;
  queueName: string;
  /** Counts each letter sent (`DeadLettered`). */
  metrics?: MetricsRecorder;
}): DeadLetterQueue {
  const queueUrl = queueUrlResolver(client, queueName);
  return {
    async send(letter) {
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: await queueUrl(),
            MessageBody: letter.body,
            MessageGroupId: letter.groupId,
            MessageDeduplicationId: letter.deduplicationId,
            MessageAttributes: {
              [FAILURE_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: letter.reason.slice(0, 1024) },
              sourceMessageId: { DataType: 'String', StringValue: letter.sourceMessageId },
            },
          }),
        );
      } catch (error) {
        throw asDependencyError('SQS', error);
      }
      metrics.count('DeadLettered');
    },
  };
}
