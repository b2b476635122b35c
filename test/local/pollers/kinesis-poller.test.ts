import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClients, type LocalClients } from '../../../local/aws-clients.js';
import { type RunningService, startKinesis, startSqsSns } from '../../../local/emulators.js';
import type { KinesisPollerOptions } from '../../../local/pollers/kinesis-poller.js';
import { startKinesisPoller } from '../../../local/pollers/kinesis-poller.js';
import type { KinesisFailureRecord } from '../../../local/pollers/lambda-events.js';
import type { Poller } from '../../../local/pollers/sqs-poller.js';
import type { Invoke, InvokeOutcome } from '../../../local/runtime/types.js';
import type { KinesisEventSource, OnFailureDestination } from '../../../local/template/model.js';
import { waitFor } from '../../support/wait-for.js';

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const FUNCTION_NAME = 'orderflow-test-aggregateAnalytics';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9';
const FIRST_SHARD = 'shardId-000000000000';

let sqsSns: RunningService;
let kinesisService: RunningService;
let clients: LocalClients;
let kinesis: KinesisClient;
let sqs: SQSClient;
let sns: SNSClient;
const pollers: Poller[] = [];
let resourceCount = 0;

beforeAll(async () => {
  [sqsSns, kinesisService] = await Promise.all([startSqsSns(0, REGION), startKinesis(0)]);
  clients = createLocalClients(
    {
      sqsSns: sqsSns.endpoint,
      kinesis: kinesisService.endpoint,
      dynamodb: UNUSED_ENDPOINT,
      iotData: UNUSED_ENDPOINT,
    },
    REGION,
  );
  ({ kinesis, sqs, sns } = clients);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  clients.destroy();
  await Promise.all([sqsSns.close(), kinesisService.close()]);
});

interface TestStream {
  name: string;
  arn: string;
}

async function createStream(shardCount = 1): Promise<TestStream> {
  resourceCount += 1;
  const name = `activity-${resourceCount}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitFor(
    async () => {
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
    },
    { description: `stream ${name} to be active` },
  );
  // What provisioning resolves `Fn::GetAtt Arn` to (kinesalite names every stream in us-east-1).
  return { name, arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}` };
}

/** Puts records in order; returns their sequence numbers. `hashKey` picks the shard (default: the first). */
async function put(stream: TestStream, datas: string[], hashKey = '0'): Promise<string[]> {
  const response = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream.name,
      Records: datas.map((data) => ({
        Data: Buffer.from(data),
        PartitionKey: 'order-1',
        ExplicitHashKey: hashKey,
      })),
    }),
  );
  return (response.Records ?? []).map((record) => record.SequenceNumber ?? '');
}

async function createDestinationQueue(): Promise<{ url: string; arn: string }> {
  resourceCount += 1;
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `analytics-failures-${resourceCount}` }),
  );
  const url = created.QueueUrl ?? '';
  const described = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: described.Attributes?.QueueArn ?? '' };
}

/** Waits for the next message of a queue and parses it as an on-failure record. */
async function nextFailureRecord(queueUrl: string): Promise<KinesisFailureRecord> {
  const message = await waitFor(
    async () => {
      const response = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
      return response.Messages?.[0];
    },
    { description: 'a failure record' },
  );
  return JSON.parse(message.Body ?? '') as KinesisFailureRecord;
}

function sourceFor(stream: TestStream, overrides: Partial<KinesisEventSource> = {}): KinesisEventSource {
  return {
    kind: 'kinesis',
    logicalId: 'AggregateAnalyticsEventSourceMappingKinesis',
    functionName: FUNCTION_NAME,
    streamName: stream.name,
    streamArn: stream.arn,
    batchSize: 100,
    maximumBatchingWindowSeconds: 0,
    startingPosition: 'TRIM_HORIZON',
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: -1,
    maximumRecordAgeSeconds: -1,
    reportBatchItemFailures: false,
    enabled: true,
    ...overrides,
  };
}

const dataOf = (record: KinesisStreamRecord) => Buffer.from(record.kinesis.data, 'base64').toString();

/** A fake function: records every event and answers what `answer` says for it (ok, no result, by default). */
function fakeFunction(answer: (event: KinesisStreamEvent, call: number) => InvokeOutcome = () => ok()) {
  const events: KinesisStreamEvent[] = [];
  const invoke: Invoke = async (event) => {
    const kinesisEvent = event as KinesisStreamEvent;
    events.push(kinesisEvent);
    return answer(kinesisEvent, events.length);
  };
  return {
    invoke,
    events,
    /** The data of each invocation's records. */
    batches: () => events.map((event) => event.Records.map(dataOf)),
  };
}

const ok = (result?: unknown): InvokeOutcome => ({ status: 'ok', result });
const thrown = (): InvokeOutcome => ({ status: 'error', errorType: 'Error', errorMessage: 'poison' });
const hasData = (event: KinesisStreamEvent, data: string) =>
  event.Records.some((record) => dataOf(record) === data);

function poll(options: Omit<KinesisPollerOptions, 'kinesis' | 'sqs' | 'sns' | 'region'>): Poller {
  const poller = startKinesisPoller({
    kinesis,
    sqs,
    sns,
    region: REGION,
    idleDelayMs: 20,
    retryDelayMs: 10,
    log: () => undefined,
    ...options,
  });
  pollers.push(poller);
  return poller;
}

describe('startKinesisPoller', () => {
  it('delivers records shaped like Lambda Kinesis records, field by field', async () => {
    // Prepare
    const stream = await createStream();
    const fn = fakeFunction();
    const before = Date.now() / 1000;
    const [sequenceNumber] = await put(stream, ['{"orderId":"o-1","status":"PLACED"}']);

    // Act
    poll({ source: sourceFor(stream), invoke: fn.invoke });
    await waitFor(() => fn.events.length === 1, { description: 'one invocation' });

    // Assess
    expect(Object.keys(fn.events[0] ?? {})).toEqual(['Records']);
    const record = fn.events[0]?.Records[0];
    expect(record).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'order-1',
        sequenceNumber,
        data: Buffer.from('{"orderId":"o-1","status":"PLACED"}').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${FIRST_SHARD}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/${FUNCTION_NAME}-role`,
      awsRegion: REGION,
      eventSourceARN: stream.arn,
    });
    expect(record?.kinesis.approximateArrivalTimestamp).toBeGreaterThanOrEqual(Math.floor(before));
    expect(record?.kinesis.approximateArrivalTimestamp).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('reads every shard and keeps the order within each shard', async () => {
    // Prepare
    const stream = await createStream(2);
    const fn = fakeFunction();
    await put(stream, ['s0-1', 's0-2', 's0-3'], '0');
    await put(stream, ['s1-1', 's1-2'], '340282366920938463463374607431768211455');

    // Act
    poll({ source: sourceFor(stream, { batchSize: 1 }), invoke: fn.invoke });
    await waitFor(() => fn.events.length === 5, { description: 'five invocations' });

    // Assess
    const records = fn.events.flatMap((event) => event.Records);
    const ofShard = (shardId: string) =>
      records.filter((record) => record.eventID.startsWith(`${shardId}:`)).map(dataOf);
    expect(ofShard('shardId-000000000000')).toEqual(['s0-1', 's0-2', 's0-3']);
    expect(ofShard('shardId-000000000001')).toEqual(['s1-1', 's1-2']);
  });

  it('checkpoints at the lowest reported failure: that record and the later ones come again, earlier ones do not', async () => {
    // Prepare
    const stream = await createStream();
    const fn = fakeFunction((event, call) => {
      const failed = event.Records.filter((record) => ['r2', 'r4'].includes(dataOf(record)));
      return ok({
        batchItemFailures:
          call === 1 ? failed.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) : [],
      });
    });
    await put(stream, ['r1', 'r2', 'r3', 'r4']);

    // Act
    poll({ source: sourceFor(stream, { reportBatchItemFailures: true }), invoke: fn.invoke });
    await waitFor(() => fn.events.length === 2, { description: 'the retry' });
    await put(stream, ['r5']);
    await waitFor(() => fn.events.some((event) => hasData(event, 'r5')), { description: 'the next record' });

    // Assess
    expect(fn.batches()).toEqual([['r1', 'r2', 'r3', 'r4'], ['r2', 'r3', 'r4'], ['r5']]);
  });

  it('retries the whole batch when the response names a record that is not in it', async () => {
    // Prepare
    const stream = await createStream();
    const fn = fakeFunction((_event, call) =>
      ok(call === 1 ? { batchItemFailures: [{ itemIdentifier: '12345' }] } : { batchItemFailures: [] }),
    );
    await put(stream, ['r1', 'r2']);

    // Act
    poll({ source: sourceFor(stream, { reportBatchItemFailures: true }), invoke: fn.invoke });
    await waitFor(() => fn.events.length === 2, { description: 'the retry' });
    await put(stream, ['r3']);
    await waitFor(() => fn.events.some((event) => hasData(event, 'r3')), { description: 'the next record' });

    // Assess
    expect(fn.batches()).toEqual([['r1', 'r2'], ['r1', 'r2'], ['r3']]);
  });

  it('bisects a failing batch down to the poison record, without spending retries on halving', async () => {
    // Prepare
    const stream = await createStream();
    const destination = await createDestinationQueue();
    const fn = fakeFunction((event) => (hasData(event, 'b') ? thrown() : ok()));
    const sequenceNumbers = await put(stream, ['a', 'b', 'c', 'd']);

    // Act
    poll({
      source: sourceFor(stream, {
        batchSize: 4,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 0,
        onFailure: { type: 'sqs', arn: destination.arn, queueUrl: destination.url },
      }),
      invoke: fn.invoke,
    });
    const failure = await nextFailureRecord(destination.url);
    await waitFor(() => fn.events.some((event) => hasData(event, 'd')), { description: 'the second half' });

    // Assess
    expect(fn.batches()).toEqual([['a', 'b', 'c', 'd'], ['a', 'b'], ['a'], ['b'], ['c', 'd']]);
    expect(failure.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(failure.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: sequenceNumbers[1],
      endSequenceNumber: sequenceNumbers[1],
      batchSize: 1,
    });
  });

  it('retries a failing batch maximumRetryAttempts times, sends one failure record to SQS, then moves on', async () => {
    // Prepare
    const stream = await createStream();
    const destination = await createDestinationQueue();
    const fn = fakeFunction((event) => (hasData(event, 'x') ? thrown() : ok()));
    const [first, last] = await put(stream, ['x', 'y']);

    // Act
    poll({
      source: sourceFor(stream, {
        maximumRetryAttempts: 2,
        onFailure: { type: 'sqs', arn: destination.arn, queueUrl: destination.url },
      }),
      invoke: fn.invoke,
    });
    const failure = await nextFailureRecord(destination.url);
    await put(stream, ['z']);
    await waitFor(() => fn.events.some((event) => hasData(event, 'z')), { description: 'the next record' });

    // Assess
    expect(fn.batches()).toEqual([['x', 'y'], ['x', 'y'], ['x', 'y'], ['z']]);
    const arrivals = fn.events[0]?.Records.map((record) =>
      new Date(record.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
    );
    expect(failure).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: FIRST_SHARD,
        startSequenceNumber: first,
        endSequenceNumber: last,
        approximateArrivalOfFirstRecord: arrivals?.[0],
        approximateArrivalOfLastRecord: arrivals?.[1],
        batchSize: 2,
        streamArn: stream.arn,
      },
    });
  });

  it('skips records older than maximumRecordAgeSeconds and publishes their failure record to SNS', async () => {
    // Prepare
    const stream = await createStream();
    const queue = await createDestinationQueue();
    resourceCount += 1;
    const topic = await sns.send(new CreateTopicCommand({ Name: `analytics-failures-${resourceCount}` }));
    const topicArn = topic.TopicArn ?? '';
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queue.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    let clockOffsetMs = 0;
    const fn = fakeFunction((event) => {
      if (!hasData(event, 'stale')) return ok();
      clockOffsetMs = 120_000; // by the retry, the record is two minutes old
      return thrown();
    });
    const [stale] = await put(stream, ['stale']);
    const onFailure: OnFailureDestination = { type: 'sns', arn: topicArn };

    // Act
    poll({
      source: sourceFor(stream, { maximumRecordAgeSeconds: 60, onFailure }),
      invoke: fn.invoke,
      now: () => Date.now() + clockOffsetMs,
    });
    const failure = await nextFailureRecord(queue.url);
    clockOffsetMs = 0;
    await put(stream, ['fresh']);
    await waitFor(() => fn.events.some((event) => hasData(event, 'fresh')), {
      description: 'the next record',
    });

    // Assess
    expect(fn.batches()).toEqual([['stale'], ['fresh']]);
    expect(failure.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 1,
    });
    expect(failure.responseContext.functionError).toBe('Unhandled');
    expect(failure.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: stale,
      endSequenceNumber: stale,
      batchSize: 1,
    });
  });

  it('logs and retries while the stream does not exist', async () => {
    // Prepare
    const logs: string[] = [];
    const fn = fakeFunction();
    const missing = {
      name: 'no-such-stream',
      arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/no-such-stream`,
    };

    // Act
    poll({
      source: sourceFor(missing),
      invoke: fn.invoke,
      errorBackoffMs: 10,
      log: (line) => logs.push(line),
    });
    await waitFor(() => logs.length >= 2, { description: 'two logged errors' });

    // Assess
    expect(logs[0]).toMatch(/ListShards: ResourceNotFoundException/);
    expect(logs[1]).toMatch(/retrying in 20 ms/);
    expect(fn.events).toHaveLength(0);
  });
});
