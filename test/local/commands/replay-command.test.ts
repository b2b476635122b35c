import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { replayCommand } from '../../../local/commands/replay-command.js';
import type { ReplayReport } from '../../../shared/app/replay.js';
import { capturedIo, mockedLocalTarget } from '../../support/command-harness.js';

/** `npm run replay` on the real adapters, with SQS, Kinesis and Lambda mocked. */
const sqs = mockClient(SQSClient);
const kinesis = mockClient(KinesisClient);
const lambda = mockClient(LambdaClient);

const QUEUE_URL = 'http://sqs.eu-west-1.localhost:4566/000000000000/orderflow-local-activity-failures';
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:000000000000:stream/orderflow-local-order-activity';
const CONSUMER = 'arn:aws:lambda:eu-west-1:000000000000:function:orderflow-local-aggregateAnalytics';
const SHARD = 'shardId-000000000001';

const failureRecord = JSON.stringify({
  requestContext: {
    requestId: 'req-1',
    functionArn: CONSUMER,
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 4,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST' },
  version: '1.0',
  timestamp: '2026-11-25T10:00:00.000Z',
  KinesisBatchInfo: {
    shardId: SHARD,
    startSequenceNumber: '900',
    endSequenceNumber: '1000',
    approximateArrivalOfFirstRecord: '2026-11-25T09:59:58.000Z',
    approximateArrivalOfLastRecord: '2026-11-25T09:59:59.000Z',
    batchSize: 2,
    streamArn: STREAM_ARN,
  },
});

const streamRecord = (sequenceNumber: string) => ({
  SequenceNumber: sequenceNumber,
  PartitionKey: 'order-1',
  Data: new TextEncoder().encode(`record ${sequenceNumber}`),
  ApproximateArrivalTimestamp: new Date('2026-11-25T09:59:58.000Z'),
});

/** What Lambda answers: the SDK hands the payload over as bytes (a blob adapter). */
const payloadOf = (text: string) =>
  new TextEncoder().encode(text) as unknown as InvokeCommandOutput['Payload'];

async function npmRunReplay(...args: string[]) {
  const io = capturedIo();
  const target = mockedLocalTarget({
    functions: [],
    queueNames: ['orderflow-local-fulfillment.fifo', 'orderflow-local-activity-failures'],
  });
  const code = await replayCommand(args, async () => target, io);
  const report = io.stdout.length > 0 ? (JSON.parse(io.stdout.join('\n')) as ReplayReport) : undefined;
  return { code, err: io.stderr, report };
}

const invokedEvents = () =>
  lambda
    .commandCalls(InvokeCommand)
    .map(
      ({ args }) =>
        JSON.parse(new TextDecoder().decode(args[0].input.Payload as Uint8Array)) as KinesisStreamEvent,
    );

beforeEach(() => {
  sqs.reset();
  kinesis.reset();
  lambda.reset();
  sqs
    .on(GetQueueUrlCommand, { QueueName: 'orderflow-local-activity-failures' })
    .resolves({ QueueUrl: QUEUE_URL });
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [{ MessageId: 'f-1', ReceiptHandle: 'rh-1', Body: failureRecord }] })
    .resolves({ Messages: [] });
  sqs.on(DeleteMessageCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
  kinesis
    .on(GetRecordsCommand)
    .resolvesOnce({
      Records: [streamRecord('900'), streamRecord('1000')],
      NextShardIterator: 'it-2',
      MillisBehindLatest: 5,
    })
    .resolves({ Records: [streamRecord('1100')], NextShardIterator: 'it-3', MillisBehindLatest: 0 });
});

describe('npm run replay', () => {
  it('reads the named range AT_SEQUENCE_NUMBER, hands exactly it to the consumer, then deletes the failure record', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payloadOf(JSON.stringify({ batchItemFailures: [] })),
    });

    // Act
    const { code, report } = await npmRunReplay('--from', 'activity-failures');

    // Assess
    expect(code).toBe(0);
    expect(report?.replayed).toEqual([
      { functionArn: CONSUMER, shardId: SHARD, start: '900', end: '1000', failures: 1, records: 2 },
    ]);
    expect(kinesis.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toEqual({
      StreamName: 'orderflow-local-order-activity',
      ShardId: SHARD,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: '900',
    });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: CONSUMER,
      InvocationType: 'RequestResponse',
    });
    const [event] = invokedEvents();
    expect(
      event?.Records.map((record) => [record.eventID, record.eventSourceARN, record.kinesis.data]),
    ).toEqual([
      [`${SHARD}:900`, STREAM_ARN, Buffer.from('record 900').toString('base64')],
      [`${SHARD}:1000`, STREAM_ARN, Buffer.from('record 1000').toString('base64')],
    ]);
    expect(sqs.commandCalls(DeleteMessageCommand).map(({ args }) => args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1' },
    ]);
  });

  it.each([
    [
      'a function error',
      {
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: payloadOf('{"errorType":"Error","errorMessage":"boom"}'),
      },
      'the consumer failed',
    ],
    [
      'a batch item failure',
      {
        StatusCode: 200,
        Payload: payloadOf('{"batchItemFailures":[{"itemIdentifier":"1000"}]}'),
      },
      'the consumer reported batch item failures: 1000',
    ],
  ])(
    'keeps the failure record after %s, makes it visible again and exits 1',
    async (_case, output, reason) => {
      // Prepare
      lambda.on(InvokeCommand).resolves(output);

      // Act
      const { code, report } = await npmRunReplay('--from', 'activity-failures');

      // Assess
      expect(code).toBe(1);
      expect(report?.failed).toEqual([
        expect.objectContaining({ start: '900', reason: expect.stringContaining(reason) }),
      ]);
      expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
      expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toEqual({
        QueueUrl: QUEUE_URL,
        ReceiptHandle: 'rh-1',
        VisibilityTimeout: 0,
      });
    },
  );

  it('plans without reading the stream or invoking anything on --dry-run', async () => {
    // Act
    const { code, report } = await npmRunReplay('--from', 'activity-failures', '--dry-run');

    // Assess
    expect(code).toBe(0);
    expect(report?.planned).toEqual([
      { functionArn: CONSUMER, shardId: SHARD, start: '900', end: '1000', failures: 1 },
    ]);
    expect(kinesis.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it.each([
    [[], '--from names the on-failure destination queue to replay from'],
    [
      ['--from', 'billing'],
      'the stack has no queue named billing (its queues: orderflow-local-fulfillment.fifo',
    ],
  ])('%j exits 2 with the usage line and touches no queue', async (args, message) => {
    // Act
    const { code, err } = await npmRunReplay(...args);

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.at(-1)).toBe('usage: npm run replay -- --from activity-failures [--dry-run]');
    expect(sqs.calls()).toHaveLength(0);
  });
});
