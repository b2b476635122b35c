import { IoTDataPlaneClient, PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamRecord, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../support/api-event.js';
import { failures, NO_FAILURES } from '../support/batch-response.js';
import { importProcessOrder } from '../support/consumer-world.js';
import { RECORD_FAILED } from '../support/failure-log.js';
import { captureLogs, hostileCases, linesQuoting } from '../support/hostile.js';
import {
  activityRecord,
  type KinesisHandler,
  kinesisEvent,
  kinesisRecord,
  kinesisSequenceNumber,
} from '../support/kinesis-event.js';
import {
  eventMessageAttributes,
  orderEventBody,
  REVIEW_QUEUE_ARN,
  type SqsHandler,
  sqsEvent,
  sqsRecord,
} from '../support/sqs-event.js';

// Before any import builds the logger: every entry is written, so that the tests can read what gets logged.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

type QueueConsumer = 'processOrder' | 'reviewOrder';
type StreamConsumer = 'aggregateAnalytics' | 'notifyCustomer';

/** A case of `test/fixtures/hostile/records.json` (its description says what each field means). */
interface RecordCase {
  consumer: QueueConsumer | StreamConsumer;
  name: string;
  record: {
    base?: 'placed' | 'paid' | 'cancelled';
    set?: Record<string, unknown>;
    truncate?: number;
    replace?: [string, string];
    rawSuffix?: string;
    pad?: { field: string; bytes: number; marker: string };
    items?: number;
    groupId?: string;
    attribute?: Record<string, string> | null;
    rawBody?: string;
    rawData?: string;
    partitionKey?: string;
  };
  marker: string | null;
  expect: { outcome: 'dead-lettered' | 'failed' | 'dropped'; reason: string };
  note?: string;
}

const CASES = hostileCases<RecordCase>('records.json');
const ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';
const DLQ_URL = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
const DLQ_NAMES: Record<QueueConsumer, string> = {
  processOrder: 'orderflow-test-fulfillment-dlq.fifo',
  reviewOrder: 'orderflow-test-review-dlq.fifo',
};

/** Every client the four consumers use: none of them may be called for a hostile record, except the DLQ. */
const documentClient = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const kinesis = mockClient(KinesisClient);
const sqs = mockClient(SQSClient);
const iotData = mockClient(IoTDataPlaneClient);
const handlers = {} as Record<QueueConsumer, SqsHandler> & Record<StreamConsumer, KinesisHandler>;
const logs = captureLogs();

/** Sets `path` (`data.amount`) of `target` to `value`. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head = '', ...rest] = path.split('.');
  if (rest.length === 0) target[head] = value;
  else setPath(target[head] as Record<string, unknown>, rest.join('.'), value);
}

/** The text of a record: the base made hostile as the case says. */
function hostileText(base: Record<string, unknown>, spec: RecordCase['record']): string {
  const json = structuredClone(base);
  for (const [path, value] of Object.entries(spec.set ?? {})) setPath(json, path, value);
  if (spec.items !== undefined) {
    setPath(
      json,
      'data.items',
      Array.from({ length: spec.items }, (_, index) => ({ sku: `SKU-${index}`, quantity: 1, unitPrice: 1 })),
    );
  }
  if (spec.pad !== undefined) {
    const room = spec.pad.bytes - Buffer.byteLength(JSON.stringify(json)) - spec.pad.marker.length;
    json[spec.pad.field] = 'p'.repeat(Math.max(room, 0)) + spec.pad.marker;
  }
  let text = JSON.stringify(json);
  if (spec.replace !== undefined) text = text.replace(spec.replace[0], spec.replace[1]);
  if (spec.rawSuffix !== undefined) text = `${text.slice(0, -1)}${spec.rawSuffix}}`;
  if (spec.truncate !== undefined) text = text.slice(0, Math.floor(text.length * spec.truncate));
  return text;
}

const BASES = {
  placed: orderEventBody({ type: 'OrderPlaced', orderId: ORDER_ID, total: 150_000 }),
  paid: orderEventBody({ type: 'OrderPaid', orderId: ORDER_ID, seq: 2 }),
  cancelled: orderEventBody({ type: 'OrderCancelled', orderId: ORDER_ID, seq: 2 }),
};

function queueRecord({ consumer, record: spec }: RecordCase): SQSRecord {
  const base = BASES[spec.base ?? 'paid'];
  const body = spec.rawBody ?? hostileText(base.event as unknown as Record<string, unknown>, spec);
  const values = { eventType: base.event.type, total: 150_000, currency: 'EUR', region: 'eu-west' };
  let attributes: SQSMessageAttributes = eventMessageAttributes(values);
  if (spec.attribute === null) attributes = {};
  else if (spec.attribute !== undefined) {
    attributes = eventMessageAttributes({ ...values, ...spec.attribute } as typeof values);
  }
  return sqsRecord({
    body,
    groupId: spec.groupId ?? ORDER_ID,
    attributes,
    ...(consumer === 'reviewOrder' ? { queueArn: REVIEW_QUEUE_ARN } : {}),
  });
}

function streamRecord({ record: spec }: RecordCase): KinesisStreamRecord {
  const base = activityRecord({ status: 'PAID' }) as unknown as Record<string, unknown>;
  return kinesisRecord({
    rawData: spec.rawData ?? hostileText(base, spec),
    sequenceNumber: kinesisSequenceNumber(1),
    partitionKey: spec.partitionKey ?? ORDER_ID,
  });
}

beforeAll(async () => {
  handlers.processOrder = await importProcessOrder();
  vi.stubEnv('DEAD_LETTER_QUEUE_NAME', DLQ_NAMES.processOrder);
  vi.stubEnv('REVIEWS_TABLE', 'orderflow-test-reviews');
  vi.stubEnv('DEAD_LETTER_QUEUE_NAME', DLQ_NAMES.reviewOrder);
  vi.stubEnv('ANALYTICS_TABLE', 'orderflow-test-analytics');
  vi.stubEnv('ORDERFLOW_FAULT_CUSTOMER_ID', '');
  vi.stubEnv('AWS_ENDPOINT_URL_IOT_DATA_PLANE', 'https://abc123-ats.iot.us-east-1.amazonaws.com');
  handlers.reviewOrder = (await import('../../functions/review-order.js')).handler;
  handlers.aggregateAnalytics = (await import('../../functions/aggregate-analytics.js')).handler;
  handlers.notifyCustomer = (await import('../../functions/notify-customer.js')).handler;
});

beforeEach(() => {
  for (const client of [documentClient, sns, kinesis, sqs, iotData]) client.reset();
  for (const name of Object.values(DLQ_NAMES)) {
    sqs.on(GetQueueUrlCommand, { QueueName: name }).resolves({ QueueUrl: DLQ_URL(name) });
  }
  sqs.on(SendMessageCommand).resolves({ MessageId: '9d2e3f4a-0000-4000-8000-000000000009' });
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const client of [documentClient, sns, kinesis, sqs, iotData]) client.restore();
});

/** No write, publish or put anywhere: the only calls allowed are the DLQ's. */
function expectNothingWritten(): void {
  expect(documentClient.calls()).toEqual([]);
  expect(sns.calls()).toEqual([]);
  expect(kinesis.calls()).toEqual([]);
  expect(iotData.commandCalls(IotPublishCommand)).toEqual([]);
}

function expectNothingLeaked(hostile: RecordCase): void {
  if (hostile.marker !== null) expect(linesQuoting(logs.lines, hostile.marker)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(logs.rejections).toEqual([]);
}

describe('hostile queue and stream records (test/fixtures/hostile/records.json)', () => {
  it('holds cases for each consumer, each named once per consumer, with a marker that is really in its record', () => {
    // Prepare
    const names = CASES.map((hostile) => `${hostile.consumer}: ${hostile.name}`);

    // Act
    const missingMarkers = CASES.filter((hostile) => {
      if (hostile.marker === null) return false;
      const record = hostile.consumer.endsWith('Order') ? queueRecord(hostile) : streamRecord(hostile);
      const text =
        'body' in record ? record.body : Buffer.from(record.kinesis.data, 'base64').toString('utf8');
      return !text.includes(hostile.marker);
    }).map((hostile) => hostile.name);

    // Assess
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(CASES.map((hostile) => hostile.consumer))).toEqual(
      new Set(['processOrder', 'reviewOrder', 'aggregateAnalytics', 'notifyCustomer']),
    );
    expect(missingMarkers).toEqual([]);
  });

  const queued = CASES.filter(
    (hostile) => hostile.consumer === 'processOrder' || hostile.consumer === 'reviewOrder',
  );
  it.each(queued.map((hostile) => [`${hostile.consumer}: ${hostile.name}`, hostile] as const))(
    'sends %s to the DLQ with the reason, and acknowledges it',
    async (_name, hostile) => {
      // Prepare
      const consumer = hostile.consumer as QueueConsumer;
      const record = queueRecord(hostile);

      // Act
      const answer = handlers[consumer](sqsEvent([record]), lambdaContext());

      // Assess
      await expect(answer).resolves.toEqual(NO_FAILURES);
      expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
        expect.objectContaining({
          QueueUrl: DLQ_URL(DLQ_NAMES[consumer]),
          MessageBody: record.body,
          MessageGroupId: record.attributes.MessageGroupId,
          MessageAttributes: expect.objectContaining({
            failureReason: expect.objectContaining({
              StringValue: expect.stringContaining(hostile.expect.reason),
            }),
          }),
        }),
      ]);
      expect(linesQuoting(logs.lines, 'Sent to the dead-letter queue')).toHaveLength(1);
      expectNothingWritten();
      expectNothingLeaked(hostile);
    },
  );

  const streamed = CASES.filter((hostile) => hostile.expect.outcome === 'failed');
  it.each(streamed.map((hostile) => [`${hostile.consumer}: ${hostile.name}`, hostile] as const))(
    'reports %s as a failed record with a WARN reason',
    async (_name, hostile) => {
      // Prepare
      const record = streamRecord(hostile);

      // Act
      const answer = handlers[hostile.consumer as StreamConsumer](kinesisEvent([record]), lambdaContext());

      // Assess
      await expect(answer).resolves.toEqual(failures(record));
      const warnings = linesQuoting(logs.lines, RECORD_FAILED).map(
        (line) => JSON.parse(line) as Record<string, unknown>,
      );
      expect(warnings).toEqual([
        expect.objectContaining({
          level: 'WARN',
          sequenceNumber: record.kinesis.sequenceNumber,
          reason: expect.stringContaining(hostile.expect.reason),
        }),
      ]);
      expect(sqs.calls()).toEqual([]);
      expectNothingWritten();
      expectNothingLeaked(hostile);
    },
  );

  const dropped = CASES.filter((hostile) => hostile.expect.outcome === 'dropped');
  it.each(dropped.map((hostile) => [`${hostile.consumer}: ${hostile.name}`, hostile] as const))(
    'acknowledges %s without publishing it, and logs an ERROR that says why',
    async (_name, hostile) => {
      // Prepare
      const record = streamRecord(hostile);

      // Act
      const answer = handlers[hostile.consumer as StreamConsumer](kinesisEvent([record]), lambdaContext());

      // Assess
      await expect(answer).resolves.toEqual(NO_FAILURES);
      expect(hostile.note).toEqual(expect.any(String));
      expect(linesQuoting(logs.lines, hostile.expect.reason).map((line) => JSON.parse(line).level)).toEqual([
        'ERROR',
      ]);
      expectNothingWritten();
      expectNothingLeaked(hostile);
    },
  );
});
