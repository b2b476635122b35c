import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FailureSource, ReceivedFailure } from '../core/ports.js';
import { createSqsClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';
import { queueUrlResolver } from './queue-url.js';

/**
 * `FailureSource` on a stream mapping's on-failure destination queue (standard SQS). `receive` long-polls
 * (`waitTimeSeconds`, which also samples every server of a standard queue) and hides what it returns for
 * `visibilityTimeoutSeconds`; `release` makes a message visible again at once.
 */
export function createFailureSource({
  client = createSqsClient(),
  queueName,
  visibilityTimeoutSeconds = 300,
  waitTimeSeconds = 1,
}: {
  client?: SQSClient;
  queueName: string;
  visibilityTimeoutSeconds?: number;
  waitTimeSeconds?: number;
}): FailureSource {
  const queueUrl = queueUrlResolver(client, queueName);
  const send = async <T>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      throw asDependencyError('SQS', error);
    }
  };
  return {
    receive: (maxMessages) =>
      send(async () => {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: await queueUrl(),
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeoutSeconds,
          }),
        );
        return Messages.map(toReceivedFailure);
      }),
    delete: (message) =>
      send(async () => {
        await client.send(
          new DeleteMessageCommand({ QueueUrl: await queueUrl(), ReceiptHandle: message.receiptHandle }),
        );
      }),
    release: (message) =>
      send(async () => {
        await client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: await queueUrl(),
            ReceiptHandle: message.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }),
  };
}

function toReceivedFailure(message: {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
}): ReceivedFailure {
  if (message.MessageId === undefined || message.ReceiptHandle === undefined) {
    throw new Error('A failure record came without MessageId or ReceiptHandle');
  }
  return { messageId: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body ?? '' };
}
