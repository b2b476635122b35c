import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeadLetterSource, ReceivedDeadLetter } from '../core/ports.js';
import * as z from '../core/zod.js';
import { createSqsClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';
import { queueUrlResolver } from './queue-url.js';

/** The message attribute that counts how many times a message was redriven. */
export const REDRIVE_COUNT_ATTRIBUTE = 'redriveCount';

/** Just what a redrive reads from an orderflow event envelope: the rest of the body travels untouched. */
const envelopeKeySchema = z.object({ orderId: z.string(), seq: z.number().check(z.int()) });

/**
 * `DeadLetterSource` on a FIFO DLQ. `receive` hides what it returns for `visibilityTimeoutSeconds` (long-polling
 * `waitTimeSeconds`); `peek` looks without hiding. A body that is not an orderflow event still comes back, with no
 * `orderId` or `seq`: a poison message must stay redrivable or parkable.
 */
export function createDeadLetterSource({
  client = createSqsClient(),
  queueName,
  visibilityTimeoutSeconds = 300,
  waitTimeSeconds = 2,
}: {
  client?: SQSClient;
  queueName: string;
  visibilityTimeoutSeconds?: number;
  waitTimeSeconds?: number;
}): DeadLetterSource {
  const queueUrl = queueUrlResolver(client, queueName);
  const receive = async (
    maxMessages: number,
    visibilityTimeout: number,
    waitTime: number,
  ): Promise<ReceivedDeadLetter[]> => {
    try {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: await queueUrl(),
          MaxNumberOfMessages: maxMessages,
          WaitTimeSeconds: waitTime,
          VisibilityTimeout: visibilityTimeout,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      return Messages.map(toReceivedDeadLetter);
    } catch (error) {
      throw asDependencyError('SQS', error);
    }
  };
  return {
    receive: (maxMessages) => receive(maxMessages, visibilityTimeoutSeconds, waitTimeSeconds),
    peek: (maxMessages) => receive(maxMessages, 0, 0),
    async delete(message) {
      try {
        await client.send(
          new DeleteMessageCommand({ QueueUrl: await queueUrl(), ReceiptHandle: message.receiptHandle }),
        );
      } catch (error) {
        throw asDependencyError('SQS', error, message.orderId);
      }
    },
  };
}

function toReceivedDeadLetter(message: Message): ReceivedDeadLetter {
  const { MessageId, ReceiptHandle } = message;
  const groupId = message.Attributes?.MessageGroupId;
  if (MessageId === undefined || ReceiptHandle === undefined || groupId === undefined) {
    throw new Error('A FIFO dead-letter message came without MessageId, ReceiptHandle or MessageGroupId');
  }
  const body = message.Body ?? '';
  const attributes: ReceivedDeadLetter['attributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.DataType === undefined) continue;
    attributes[name] =
      value.StringValue === undefined
        ? { DataType: value.DataType }
        : { DataType: value.DataType, StringValue: value.StringValue };
  }
  const key = envelopeKey(body);
  return {
    messageId: MessageId,
    groupId,
    orderId: key?.orderId,
    seq: key?.seq,
    redriveCount: redriveCountOf(attributes[REDRIVE_COUNT_ATTRIBUTE]?.StringValue),
    body,
    receiptHandle: ReceiptHandle,
    attributes,
  };
}

/** The order and `seq` of an orderflow event body; `undefined` for anything else (never throws). */
function envelopeKey(body: string): z.infer<typeof envelopeKeySchema> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = envelopeKeySchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

function redriveCountOf(value: string | undefined): number {
  const count = Number(value ?? '0');
  return Number.isSafeInteger(count) && count >= 0 ? count : 0;
}
