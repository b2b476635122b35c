import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClients, type LocalClients } from '../../../local/aws-clients.js';
import { type RunningService, startSqsSns } from '../../../local/emulators.js';
import type { Poller, SqsPollerOptions } from '../../../local/pollers/sqs-poller.js';
import { startSqsPoller } from '../../../local/pollers/sqs-poller.js';
import type { Invoke, InvokeOutcome } from '../../../local/runtime/types.js';
import type { SqsEventSource } from '../../../local/template/model.js';
import { waitFor } from '../../support/wait-for.js';

const REGION = 'eu-west-1';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9';

let emulator: RunningService;
let clients: LocalClients;
let sqs: SQSClient;
const pollers: Poller[] = [];
let queueCount = 0;

beforeAll(async () => {
  emulator = await startSqsSns(0, REGION);
  clients = createLocalClients(
    {
      sqsSns: emulator.endpoint,
      kinesis: UNUSED_ENDPOINT,
      dynamodb: UNUSED_ENDPOINT,
      iotData: UNUSED_ENDPOINT,
    },
    REGION,
  );
  sqs = clients.sqs;
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  clients.destroy();
  await emulator.close();
});

interface TestQueue {
  url: string;
  arn: string;
}

async function createQueue(
  options: {
    fifo?: boolean;
    visibilityTimeout?: number;
    deadLetter?: { arn: string; maxReceiveCount: number };
  } = {},
): Promise<TestQueue> {
  queueCount += 1;
  const name = `poller-${queueCount}${options.fifo ? '.fifo' : ''}`;
  const attributes: Record<string, string> = { VisibilityTimeout: String(options.visibilityTimeout ?? 30) };
  if (options.fifo) attributes.FifoQueue = 'true';
  if (options.deadLetter) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: options.deadLetter.arn,
      maxReceiveCount: options.deadLetter.maxReceiveCount,
    });
  }
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl ?? '';
  const described = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: described.Attributes?.QueueArn ?? '' };
}

function sourceFor(queue: TestQueue, overrides: Partial<SqsEventSource> = {}): SqsEventSource {
  return {
    kind: 'sqs',
    logicalId: 'TestEventSourceMappingSQS',
    functionName: 'orderflow-test-consumer',
    queueUrl: queue.url,
    queueArn: queue.arn,
    fifo: queue.url.endsWith('.fifo'),
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: false,
    enabled: true,
    ...overrides,
  };
}

/** A fake function: records every event and answers what `answer` says for it (ok, no result, by default). */
function fakeFunction(answer: (event: SQSEvent, call: number) => InvokeOutcome = () => ok()) {
  const events: SQSEvent[] = [];
  const invoke: Invoke = async (event) => {
    const sqsEvent = event as SQSEvent;
    events.push(sqsEvent);
    return answer(sqsEvent, events.length);
  };
  const records = () => events.flatMap((event) => event.Records);
  return { invoke, events, records, bodies: () => records().map((record) => record.body) };
}

const ok = (result?: unknown): InvokeOutcome => ({ status: 'ok', result });
const thrown = (): InvokeOutcome => ({ status: 'error', errorType: 'Error', errorMessage: 'boom' });
const failing = (...records: SQSRecord[]): InvokeOutcome =>
  ok({ batchItemFailures: records.map((record) => ({ itemIdentifier: record.messageId })) });

function poll(options: Omit<SqsPollerOptions, 'sqs' | 'region'>): Poller {
  const poller = startSqsPoller({ sqs, region: REGION, log: () => undefined, ...options });
  pollers.push(poller);
  return poller;
}

async function send(queue: TestQueue, bodies: string[], groupOf?: (body: string) => string): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          ...(groupOf ? { MessageGroupId: groupOf(body), MessageDeduplicationId: body } : {}),
        })),
      }),
    );
  }
}

async function messagesIn(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

const isEmpty = async (queue: TestQueue) => {
  const { visible, inFlight } = await messagesIn(queue);
  return visible === 0 && inFlight === 0;
};

describe('startSqsPoller', () => {
  it('delivers records shaped like Lambda SQS records, field by field', async () => {
    // Prepare
    const queue = await createQueue();
    const fn = fakeFunction();
    const messageAttributes: Record<string, MessageAttributeValue> = {
      eventType: { DataType: 'String', StringValue: 'OrderPlaced' },
      total: { DataType: 'Number', StringValue: '123' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from('1100') },
    };
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"orderId":"o-1"}',
        MessageAttributes: messageAttributes,
      }),
    );

    // Act
    poll({ source: sourceFor(queue), invoke: fn.invoke });
    await waitFor(() => fn.events.length === 1, { description: 'one invocation' });

    // Assess
    const event = fn.events[0];
    expect(Object.keys(event ?? {})).toEqual(['Records']);
    const record = fn.records()[0];
    expect(record).toEqual({
      messageId: sent.MessageId,
      receiptHandle: expect.any(String),
      body: '{"orderId":"o-1"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {
        eventType: {
          stringValue: 'OrderPlaced',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
        total: { stringValue: '123', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        blob: { binaryValue: 'MTEwMA==', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: sent.MD5OfMessageBody,
      md5OfMessageAttributes: sent.MD5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: REGION,
    });
    expect(record?.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    await waitFor(() => isEmpty(queue), { description: 'the message to be deleted' });
  });

  it('adds SequenceNumber, MessageGroupId and MessageDeduplicationId for a FIFO queue', async () => {
    // Prepare
    const queue = await createQueue({ fifo: true });
    const fn = fakeFunction();
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: 'placed',
        MessageGroupId: 'order-1',
        MessageDeduplicationId: 'order-1:1',
      }),
    );

    // Act
    poll({ source: sourceFor(queue), invoke: fn.invoke });
    await waitFor(() => fn.events.length === 1, { description: 'one invocation' });

    // Assess
    expect(fn.records()[0]?.attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d+$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      SequenceNumber: sent.SequenceNumber,
      MessageGroupId: 'order-1',
      MessageDeduplicationId: 'order-1:1',
    });
    expect(fn.records()[0]).not.toHaveProperty('md5OfMessageAttributes');
  });

  it('fills a batch beyond ten messages with further receives', async () => {
    // Prepare
    const queue = await createQueue();
    const fn = fakeFunction();
    const bodies = Array.from({ length: 25 }, (_, index) => `m-${index}`);
    await send(queue, bodies);

    // Act
    poll({ source: sourceFor(queue, { batchSize: 25 }), invoke: fn.invoke, concurrency: 1 });
    await waitFor(() => fn.events.length === 1, { description: 'one invocation' });

    // Assess
    expect(fn.events[0]?.Records).toHaveLength(25);
    expect(new Set(fn.bodies())).toEqual(new Set(bodies));
    await waitFor(() => isEmpty(queue), { description: 'the batch to be deleted' });
  });

  it('deletes only the successes of a partial batch failure; the failed message comes back', async () => {
    // Prepare
    const queue = await createQueue({ visibilityTimeout: 1 });
    const fn = fakeFunction((event, call) => {
      const second = event.Records.find((record) => record.body === 'm-2');
      return call === 1 && second ? failing(second) : ok();
    });
    await send(queue, ['m-1', 'm-2', 'm-3']);

    // Act
    poll({ source: sourceFor(queue, { reportBatchItemFailures: true }), invoke: fn.invoke, concurrency: 1 });
    await waitFor(() => fn.events.length === 2, { description: 'the failed message to come back' });
    await waitFor(() => isEmpty(queue), { description: 'the queue to drain' });

    // Assess
    expect(fn.events[0]?.Records.map((record) => record.body)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(fn.events[1]?.Records.map((record) => record.body)).toEqual(['m-2']);
    expect(fn.events[1]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(fn.events).toHaveLength(2);
  });

  it('deletes nothing after a function error: the whole batch comes back', async () => {
    // Prepare
    const queue = await createQueue({ visibilityTimeout: 1 });
    const fn = fakeFunction((_event, call) => (call === 1 ? thrown() : ok()));
    await send(queue, ['m-1', 'm-2', 'm-3']);

    // Act
    poll({ source: sourceFor(queue, { reportBatchItemFailures: true }), invoke: fn.invoke, concurrency: 1 });
    await waitFor(() => fn.records().length === 6, { description: 'the batch to come back' });
    await waitFor(() => isEmpty(queue), { description: 'the queue to drain' });

    // Assess
    const again = fn.events.slice(1).flatMap((event) => event.Records);
    expect(again.map((record) => record.body).sort()).toEqual(['m-1', 'm-2', 'm-3']);
    expect(again.map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['2', '2', '2']);
  });

  it('fails the whole batch when the response names a message that is not in it', async () => {
    // Prepare
    const queue = await createQueue({ visibilityTimeout: 1 });
    const fn = fakeFunction((_event, call) =>
      call === 1 ? ok({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }) : ok(),
    );
    const logs: string[] = [];
    await send(queue, ['m-1', 'm-2']);

    // Act
    poll({
      source: sourceFor(queue, { reportBatchItemFailures: true }),
      invoke: fn.invoke,
      concurrency: 1,
      log: (line) => logs.push(line),
    });
    await waitFor(() => fn.records().length === 4, { description: 'the batch to come back' });

    // Assess
    expect(
      fn.events
        .slice(1)
        .flatMap((event) => event.Records.map((record) => record.body))
        .sort(),
    ).toEqual(['m-1', 'm-2']);
    expect(logs.join('\n')).toMatch(/not-in-this-batch is not in the batch/);
  });

  it("moves a message that keeps failing to the queue's DLQ after maxReceiveCount", async () => {
    // Prepare
    const dlq = await createQueue();
    const queue = await createQueue({
      visibilityTimeout: 1,
      deadLetter: { arn: dlq.arn, maxReceiveCount: 2 },
    });
    const fn = fakeFunction(() => thrown());
    await send(queue, ['poison']);

    // Act
    poll({ source: sourceFor(queue), invoke: fn.invoke, concurrency: 1 });
    await waitFor(async () => (await messagesIn(dlq)).visible === 1, {
      description: 'the message in the DLQ',
    });

    // Assess
    const inDlq = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 0 }));
    expect(inDlq.Messages?.map((message) => message.Body)).toEqual(['poison']);
    expect(fn.records().map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(await isEmpty(queue)).toBe(true);
  });

  it('keeps each FIFO group in send order with concurrent pollers while another group fails', async () => {
    // Prepare
    const queue = await createQueue({ fifo: true, visibilityTimeout: 1 });
    let failedOnce = false;
    const fn = fakeFunction((event) => {
      const a2 = event.Records.find((record) => record.body === 'A2');
      if (a2 && !failedOnce) {
        failedOnce = true;
        return failing(a2);
      }
      return ok();
    });
    await send(queue, ['A1', 'B1', 'A2', 'B2', 'A3', 'B3', 'B4'], (body) => body.slice(0, 1));

    // Act
    poll({ source: sourceFor(queue, { reportBatchItemFailures: true }), invoke: fn.invoke, concurrency: 3 });
    await waitFor(() => fn.bodies().filter((body) => body === 'A3').length === 1, { description: 'A3' });
    await waitFor(() => isEmpty(queue), { description: 'the queue to drain' });

    // Assess
    const delivered = fn.bodies();
    expect(delivered.filter((body) => body.startsWith('A'))).toEqual(['A1', 'A2', 'A2', 'A3']);
    expect(delivered.filter((body) => body.startsWith('B'))).toEqual(['B1', 'B2', 'B3', 'B4']);
    // Group B does not wait for A2's retry.
    expect(delivered.indexOf('B4')).toBeLessThan(delivered.lastIndexOf('A2'));
  });

  it('logs and retries SQS API errors without stopping', async () => {
    // Prepare
    const queue = await createQueue();
    const missing = { url: `${queue.url}-missing`, arn: `${queue.arn}-missing` };
    const fn = fakeFunction();
    const logs: string[] = [];

    // Act
    poll({
      source: sourceFor(missing),
      invoke: fn.invoke,
      concurrency: 1,
      errorBackoffMs: 10,
      log: (line) => logs.push(line),
    });
    await waitFor(() => logs.length >= 3, { description: 'three logged errors' });

    // Assess
    expect(logs[0]).toMatch(/QueueDoesNotExist/);
    expect(logs[2]).toMatch(/retrying in 40 ms/);
    expect(fn.events).toHaveLength(0);
  });

  it('stops promptly while a long poll is pending', async () => {
    // Prepare
    const queue = await createQueue();
    const fn = fakeFunction();
    const counted = createLocalClients(
      {
        sqsSns: emulator.endpoint,
        kinesis: UNUSED_ENDPOINT,
        dynamodb: UNUSED_ENDPOINT,
        iotData: UNUSED_ENDPOINT,
      },
      REGION,
    );
    let receives = 0;
    counted.sqs.middlewareStack.add(
      (next) => (args) => {
        receives += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const poller = startSqsPoller({
      source: sourceFor(queue),
      sqs: counted.sqs,
      region: REGION,
      invoke: fn.invoke,
      concurrency: 1,
      waitTimeSeconds: 20,
    });
    pollers.push(poller);
    await waitFor(() => receives === 1, { description: 'a pending receive' });

    // Act
    const started = Date.now();
    await poller.stop();
    const stoppedAfterMs = Date.now() - started;
    counted.destroy();

    // Assess
    expect(stoppedAfterMs).toBeLessThan(2_000);
    expect(receives).toBe(1);
    expect(fn.events).toHaveLength(0);
  });

  it('adds pollers while every one is busy and messages keep coming, up to its concurrency, then lets them go', async () => {
    // Prepare: each batch holds its invocation a while, so a backlog keeps every poller busy.
    const queue = await createQueue();
    let inFlight = 0;
    let mostInFlight = 0;
    const invoke: Invoke = async () => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 40));
      inFlight -= 1;
      return ok();
    };
    await send(
      queue,
      Array.from({ length: 120 }, (_, index) => `m${index}`),
    );

    // Act
    const poller = poll({
      source: sourceFor(queue, { batchSize: 2 }),
      invoke,
      concurrency: 8,
      waitTimeSeconds: 1,
    });
    await waitFor(() => isEmpty(queue), { timeoutMs: 20_000, description: 'the backlog to drain' });
    const busiest = mostInFlight;
    await waitFor(() => poller.stats().pollers === 5, {
      timeoutMs: 10_000,
      description: 'the extra pollers to stop',
    });

    // Assess
    expect(busiest).toBeGreaterThan(5);
    expect(busiest).toBeLessThanOrEqual(8);
    expect(poller.stats()).toMatchObject({ records: 120, failedRecords: 0, retries: 0, inFlight: 0 });
  });

  it('never has two batches of one message group in flight, whatever its concurrency', async () => {
    // Prepare
    const queue = await createQueue({ fifo: true });
    const groupsInFlight = new Set<string>();
    const overlaps: string[] = [];
    const invoke: Invoke = async (event) => {
      const groups = [
        ...new Set((event as SQSEvent).Records.map((record) => record.attributes.MessageGroupId ?? '')),
      ];
      for (const group of groups) {
        if (groupsInFlight.has(group)) overlaps.push(group);
        groupsInFlight.add(group);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const group of groups) groupsInFlight.delete(group);
      return ok();
    };
    await send(
      queue,
      Array.from({ length: 30 }, (_, index) => `${'ABC'[index % 3]}${index}`),
      (body) => body.slice(0, 1),
    );

    // Act
    const poller = poll({ source: sourceFor(queue), invoke, concurrency: 10, waitTimeSeconds: 1 });
    await waitFor(() => isEmpty(queue), { timeoutMs: 20_000, description: 'the groups to drain' });

    // Assess
    expect(overlaps).toEqual([]);
    expect(poller.stats().records).toBe(30);
  });

  it('counts batches, failed records and redelivered records for the status lines', async () => {
    // Prepare: the first delivery of "bad" fails; it comes back after its 1 s visibility timeout.
    const queue = await createQueue({ visibilityTimeout: 1 });
    const fn = fakeFunction((event, call) => {
      const bad = event.Records.find((record) => record.body === 'bad');
      return bad && call === 1 ? failing(bad) : ok();
    });
    await send(queue, ['bad']);

    // Act
    const poller = poll({
      source: sourceFor(queue, { reportBatchItemFailures: true }),
      invoke: fn.invoke,
      concurrency: 1,
    });
    await waitFor(() => isEmpty(queue), {
      timeoutMs: 10_000,
      description: 'the retried message to be deleted',
    });

    // Assess
    expect(poller.stats()).toMatchObject({
      batches: 2,
      records: 2,
      failedRecords: 1,
      retries: 1,
      functionErrors: 0,
    });
  });
});
