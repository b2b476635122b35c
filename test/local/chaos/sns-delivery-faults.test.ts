import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClients, type LocalClients } from '../../../local/aws-clients.js';
import type { DeliveryFate } from '../../../local/chaos/delivery-fate.js';
import { createSnsDeliveryFaults, type SnsDeliveryFaults } from '../../../local/chaos/sns-delivery-faults.js';
import { type RunningService, startSqsSns } from '../../../local/emulators.js';
import type { InjectedFault } from '../../../shared/faults/fault-reports.js';

/**
 * The delivery hook inside a real fauxqs: a FIFO topic fans out to a FIFO queue whose subscription has a FIFO DLQ;
 * the fates are scripted per message body and the retries run on a clock the test advances.
 */
const REGION = 'eu-west-1';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9';

let emulator: RunningService;
let clients: LocalClients;
let delivery: SnsDeliveryFaults;
const fates = new Map<string, DeliveryFate>();
const due: Array<() => void> = [];
const reports: InjectedFault[] = [];

beforeAll(async () => {
  delivery = await createSnsDeliveryFaults({
    fateOf: ({ message }) => fates.get(message.body) ?? { kind: 'deliver' },
    report: (fault) => reports.push(fault),
    log: () => {},
    schedule: (_ms, action) => due.push(action),
  });
  emulator = await startSqsSns(0, REGION, delivery.stores);
  clients = createLocalClients(
    {
      sqsSns: emulator.endpoint,
      kinesis: UNUSED_ENDPOINT,
      dynamodb: UNUSED_ENDPOINT,
      iotData: UNUSED_ENDPOINT,
    },
    REGION,
  );
});

afterAll(async () => {
  clients?.destroy();
  await emulator?.close();
});

async function fifoQueue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
    }),
  );
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url: url as string, arn: Attributes?.QueueArn as string };
}

/** Receives (and deletes, so that the group's next message shows) until the queue has nothing visible. */
async function drain(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    for (const message of Messages as Message[]) {
      bodies.push(message.Body ?? '');
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  }
}

async function fifoTopicWithSubscription(name: string) {
  const queue = await fifoQueue(name);
  const dlq = await fifoQueue(`${name}-subscription-dlq`);
  const { TopicArn } = await clients.sns.send(
    new CreateTopicCommand({ Name: `${name}.fifo`, Attributes: { FifoTopic: 'true' } }),
  );
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      Attributes: {
        RawMessageDelivery: 'true',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn }),
      },
    }),
  );
  const publish = (body: string, group = 'order-1') =>
    clients.sns.send(
      new PublishCommand({ TopicArn, Message: body, MessageGroupId: group, MessageDeduplicationId: body }),
    );
  return { queue, dlq, publish };
}

describe('SNS → SQS delivery faults in fauxqs', () => {
  it('delivers a delayed message after its retry, with its group waiting behind it in order', async () => {
    // Prepare
    const { queue, publish } = await fifoTopicWithSubscription('delayed');
    fates.set('delayed-1', { kind: 'delay', afterMs: 1_000 });

    // Act
    await publish('delayed-1');
    await publish('delayed-2');
    await publish('other-group', 'order-2');
    const beforeRetry = await drain(queue.url);
    const pending = delivery.pending();
    for (const action of due.splice(0)) action();
    const afterRetry = await drain(queue.url);

    // Assess
    expect(beforeRetry).toEqual(['other-group']);
    expect(pending).toBe(2);
    expect(afterRetry).toEqual(['delayed-1', 'delayed-2']);
    expect(delivery.pending()).toBe(0);
    expect(reports).toContainEqual(expect.objectContaining({ kind: 'sns-delivery-delayed' }));
  });

  it("sends a message SNS gave up on to the subscription's DLQ, then lets its group go on", async () => {
    // Prepare
    const { queue, dlq, publish } = await fifoTopicWithSubscription('dead-lettered');
    fates.set('dead-1', { kind: 'dead-letter', afterMs: 1_000 });

    // Act
    await publish('dead-1');
    await publish('dead-2');
    for (const action of due.splice(0)) action();

    // Assess
    expect(await drain(queue.url)).toEqual(['dead-2']);
    expect(await drain(dlq.url)).toEqual(['dead-1']);
    expect(reports).toContainEqual(expect.objectContaining({ kind: 'sns-dead-lettered' }));
  });

  it('delivers a duplicated message twice, the second time later, past the FIFO deduplication', async () => {
    // Prepare
    const { queue, publish } = await fifoTopicWithSubscription('duplicated');
    fates.set('twice-1', { kind: 'duplicate', againAfterMs: 500 });

    // Act
    await publish('twice-1');
    await publish('twice-2');
    const first = await drain(queue.url);
    for (const action of due.splice(0)) action();
    const second = await drain(queue.url);

    // Assess
    expect(first).toEqual(['twice-1', 'twice-2']);
    expect(second).toEqual(['twice-1']);
  });

  it('still drops a republish of a message it delivered, as SNS FIFO deduplication does', async () => {
    // Prepare
    const { queue, publish } = await fifoTopicWithSubscription('deduplicated');

    // Act
    await publish('once');
    await publish('once');

    // Assess
    expect(await drain(queue.url)).toEqual(['once']);
  });
});
