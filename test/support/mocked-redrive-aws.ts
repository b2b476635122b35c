import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type Attributes, conditionFailed, evaluateCondition } from './fake-dynamodb.js';

/** The names the redrive is configured with, as serverless.yml gives them to `redriveDlq`. */
export const REDRIVE_ENVIRONMENT = {
  PARKING_TABLE: 'orderflow-test-parking',
  FULFILLMENT_QUEUE_NAME: 'orderflow-test-fulfillment.fifo',
  FULFILLMENT_DLQ_NAME: 'orderflow-test-fulfillment-dlq.fifo',
  REVIEW_QUEUE_NAME: 'orderflow-test-review.fifo',
  REVIEW_DLQ_NAME: 'orderflow-test-review-dlq.fifo',
} as const;

const urlOf = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;

export interface QueuedMessage {
  messageId: string;
  groupId: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** Set while received and not deleted (in flight). */
  receiptHandle?: string;
}

/**
 * SQS and the parking table behind aws-sdk-client-mock, with state: FIFO queues that show only the head of each
 * group and hide what was received (unless received with `VisibilityTimeout: 0`, a peek) until it is deleted, and
 * a table keyed by `pk` + `sk` that evaluates the conditions it is sent. So a test states what the DLQ and the
 * table hold, runs a redrive through the real adapters, and reads where every message ended.
 */
export class MockedRedriveAws {
  readonly sqs = mockClient(SQSClient);
  readonly dynamodb = mockClient(DynamoDBDocumentClient);
  readonly queues = new Map<string, QueuedMessage[]>();
  readonly table = new Map<string, Attributes>();
  #receipts = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.sqs.reset();
    this.dynamodb.reset();
    this.queues.clear();
    this.table.clear();
    for (const [name, value] of Object.entries(REDRIVE_ENVIRONMENT)) {
      if (name.endsWith('_NAME')) this.queues.set(urlOf(value), []);
    }
    this.sqs.on(GetQueueUrlCommand).callsFake(({ QueueName }: { QueueName: string }) => {
      const url = urlOf(QueueName);
      if (!this.queues.has(url)) throw new Error(`no queue ${QueueName}`);
      return { QueueUrl: url };
    });
    this.sqs.on(ReceiveMessageCommand).callsFake((input) => this.#receive(input));
    this.sqs.on(DeleteMessageCommand).callsFake(({ QueueUrl, ReceiptHandle }) => {
      const queue = this.#queue(QueueUrl);
      const index = queue.findIndex((message) => message.receiptHandle === ReceiptHandle);
      if (index >= 0) queue.splice(index, 1);
      return {};
    });
    this.sqs.on(SendMessageCommand).callsFake((input) => {
      const messageId = `sent-${this.#queue(input.QueueUrl).length + 1}-${input.MessageDeduplicationId}`;
      this.#queue(input.QueueUrl).push({
        messageId,
        groupId: input.MessageGroupId,
        body: input.MessageBody,
        attributes: input.MessageAttributes ?? {},
      });
      return { MessageId: messageId };
    });
    this.dynamodb.on(PutCommand).callsFake((input) => {
      this.#check(input);
      this.table.set(keyOf(input.Item), structuredClone(input.Item));
      return {};
    });
    this.dynamodb.on(DeleteCommand).callsFake((input) => {
      this.#check(input);
      this.table.delete(keyOf(input.Key));
      return {};
    });
    this.dynamodb.on(GetCommand).callsFake((input) => {
      const item = this.table.get(keyOf(input.Key));
      return item === undefined ? {} : { Item: structuredClone(item) };
    });
    this.dynamodb.on(QueryCommand).callsFake((input) => {
      if (input.KeyConditionExpression !== 'pk = :pk') throw new Error('only pk = :pk queries are mocked');
      const pk = input.ExpressionAttributeValues[':pk'];
      return {
        Items: [...this.table.values()].filter((item) => item.pk === pk).map((item) => structuredClone(item)),
      };
    });
  }

  /** Puts a message in the named queue (`FULFILLMENT_DLQ_NAME`...), with a redrive count attribute when given. */
  enqueue(
    queue: keyof typeof REDRIVE_ENVIRONMENT,
    message: { messageId: string; groupId: string; body: string; redriveCount?: number },
  ): void {
    const attributes: Record<string, MessageAttributeValue> =
      message.redriveCount === undefined
        ? {}
        : { redriveCount: { DataType: 'Number', StringValue: String(message.redriveCount) } };
    this.#queue(urlOf(REDRIVE_ENVIRONMENT[queue])).push({ ...message, attributes });
  }

  /** What the named queue holds, in order. */
  messagesIn(queue: keyof typeof REDRIVE_ENVIRONMENT): QueuedMessage[] {
    return this.#queue(urlOf(REDRIVE_ENVIRONMENT[queue]));
  }

  /** The table's items whose `pk` starts with `prefix` (`STAGED#fulfillment`, `PARKED#`, `LOCK#`). */
  items(prefix: string): Attributes[] {
    return [...this.table.values()].filter((item) => String(item.pk).startsWith(prefix));
  }

  #queue(url: string): QueuedMessage[] {
    const queue = this.queues.get(url);
    if (queue === undefined) throw new Error(`no queue at ${url}`);
    return queue;
  }

  #receive(input: { QueueUrl: string; MaxNumberOfMessages?: number; VisibilityTimeout?: number }) {
    const queue = this.#queue(input.QueueUrl);
    const busyGroups = new Set(queue.filter((m) => m.receiptHandle !== undefined).map((m) => m.groupId));
    const heads = new Map<string, QueuedMessage>();
    for (const message of queue) {
      if (!busyGroups.has(message.groupId) && !heads.has(message.groupId))
        heads.set(message.groupId, message);
    }
    const received = [...heads.values()].slice(0, input.MaxNumberOfMessages ?? 1);
    return {
      Messages: received.map((message) => {
        this.#receipts += 1;
        const receiptHandle = `rh-${this.#receipts}`;
        if ((input.VisibilityTimeout ?? 30) > 0) message.receiptHandle = receiptHandle;
        return {
          MessageId: message.messageId,
          ReceiptHandle: receiptHandle,
          Body: message.body,
          Attributes: { MessageGroupId: message.groupId },
          MessageAttributes: message.attributes,
        };
      }),
    };
  }

  #check(input: {
    Key?: Attributes;
    Item?: Attributes;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Attributes;
  }): void {
    if (input.ConditionExpression === undefined) return;
    const existing = this.table.get(keyOf(input.Key ?? input.Item)) ?? {};
    const holds = evaluateCondition(
      {
        expression: input.ConditionExpression,
        names: input.ExpressionAttributeNames,
        values: input.ExpressionAttributeValues,
      },
      existing,
    );
    if (!holds) throw conditionFailed();
  }
}

function keyOf(item: Attributes | undefined): string {
  return `${String(item?.pk)}|${String(item?.sk)}`;
}
