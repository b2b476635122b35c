import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { PublishCommandInput } from '@aws-sdk/client-iot-data-plane';
import { IoTDataPlaneClient, PublishCommand, ThrottlingException } from '@aws-sdk/client-iot-data-plane';
import type { GetCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { NO_FIGURES, type WindowFigures, type WindowSummary } from '../../shared/core/analytics.js';
import { logger } from '../../shared/observability.js';
import { lambdaContext } from '../support/api-event.js';
import { failures, NO_FAILURES } from '../support/batch-response.js';
import {
  dynamoDbThrottled,
  failedStreamRecordLog,
  RECORD_FAILED,
  retriedInShard,
  type WarnSpy,
} from '../support/failure-log.js';
import { conditionFailed, conditionOf, FakeTable, updateOf } from '../support/fake-dynamodb.js';
import {
  activityRecord,
  activityRecords,
  type KinesisHandler,
  kinesisEvent,
  kinesisRecord,
  kinesisSequenceNumber,
} from '../support/kinesis-event.js';
import { dynamoDbThrottling } from '../support/order-world.js';
import { kinesisSample } from '../support/sample-events.js';
import { commandName, inCallOrder, iotPublishes } from '../support/sdk-calls.js';

const ANALYTICS_TABLE = 'orderflow-test-analytics';
const SUMMARY_TOPIC = 'analytics/orders/summary';
/** The account's IoT data endpoint, as a deploy gives it. */
const IOT_DATA_ENDPOINT = 'https://abc123-ats.iot.us-east-1.amazonaws.com';

const ORDER_B = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';
const ORDER_C = 'e3f4a5b6-c7d8-4e9f-a0b1-c2d3e4f5a6b7';
const MINUTE_0 = { windowStart: '2024-05-01T10:00:00.000Z', windowEnd: '2024-05-01T10:01:00.000Z' };
const MINUTE_1 = { windowStart: '2024-05-01T10:01:00.000Z', windowEnd: '2024-05-01T10:02:00.000Z' };
const MINUTE_2 = { windowStart: '2024-05-01T10:02:00.000Z', windowEnd: '2024-05-01T10:03:00.000Z' };

/** Order A placed, paid and fulfilled in the minute from 10:00 (eu-west, total 4498). */
const PLACED = activityRecord({ status: 'PLACED' });
const PAID = activityRecord({ status: 'PAID' });
const FULFILLED = activityRecord({ status: 'FULFILLED' });
/** Order A shipped and delivered (a scan's events) in the same minute. */
const SHIPPED = activityRecord({ status: 'SHIPPED' });
const DELIVERED = activityRecord({ status: 'DELIVERED' });
/** Order B placed in the next minute. */
const NEXT_MINUTE = activityRecord({ orderId: ORDER_B, occurredAt: '2024-05-01T10:01:10.000Z' });

const documentClient = mockClient(DynamoDBDocumentClient);
const iotData = mockClient(IoTDataPlaneClient);
const analytics = new FakeTable(ANALYTICS_TABLE, 'pk');
/** Count writes that fail, by the eventId they count. */
const failingCounts = new Map<string, Error>();
/** Conditional writes the table refused, as DynamoDB does with `ConditionalCheckFailedException`. */
let refusedConditions: string[] = [];
let aggregateAnalytics: KinesisHandler;
/** The `warn` of the logger aggregateAnalytics logs with. */
let warn: WarnSpy;

/** The table (a fake that evaluates the expressions it receives) and the broker, with no history. */
function serve(): void {
  documentClient.reset();
  iotData.reset();
  analytics.clear();
  failingCounts.clear();
  refusedConditions = [];
  documentClient.on(GetCommand).callsFake((input: GetCommandInput) => {
    const Item = analytics.get(input.TableName, input.Key);
    return Item === undefined ? {} : { Item };
  });
  documentClient.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const eventId = input.ExpressionAttributeValues?.[':eventId'];
    const fault = typeof eventId === 'string' ? failingCounts.get(eventId) : undefined;
    if (fault !== undefined) throw fault;
    const update = updateOf(input);
    try {
      analytics.update(input.TableName, input.Key, update, conditionOf(input));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) refusedConditions.push(String(input.Key?.pk));
      throw error;
    }
    return {};
  });
  iotData.on(PublishCommand).resolves({});
}

function invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  return aggregateAnalytics(event, lambdaContext({ functionName: 'orderflow-test-aggregateAnalytics' }));
}

/** The one conditional write that counts `record` into its window. */
function countWrite(
  record: ActivityRecord,
  window: { windowStart: string; windowEnd: string },
): UpdateCommandInput {
  const paid = record.status === 'PAID';
  return {
    TableName: ANALYTICS_TABLE,
    Key: { pk: `WINDOW#${record.region}#${window.windowStart}` },
    UpdateExpression:
      'SET windowStart = :start, windowEnd = :end, #region = :region ' +
      'ADD placed :placed, paid :paid, cancelled :cancelled, fulfilled :fulfilled, shipped :shipped, ' +
      'delivered :delivered, revenue :revenue, eventIds :ids',
    ConditionExpression: 'attribute_not_exists(eventIds) OR NOT contains(eventIds, :eventId)',
    ExpressionAttributeNames: { '#region': 'region' },
    ExpressionAttributeValues: {
      ':start': window.windowStart,
      ':end': window.windowEnd,
      ':region': record.region,
      ':placed': record.status === 'PLACED' ? 1 : 0,
      ':paid': paid ? 1 : 0,
      ':cancelled': record.status === 'CANCELLED' ? 1 : 0,
      ':fulfilled': record.status === 'FULFILLED' ? 1 : 0,
      ':shipped': record.status === 'SHIPPED' ? 1 : 0,
      ':delivered': record.status === 'DELIVERED' ? 1 : 0,
      ':revenue': paid ? record.total : 0,
      ':ids': new Set([record.eventId]),
      ':eventId': record.eventId,
    },
  };
}

/** The stored window of a region: its figures and the eventIds it counted. */
function storedWindow(region: string, windowStart: string) {
  return analytics.item(`WINDOW#${region}#${windowStart}`);
}

/** A window item as the table holds it after counting `records`. */
function windowItem(
  region: string,
  window: { windowStart: string; windowEnd: string },
  figures: Partial<WindowFigures>,
  records: ActivityRecord[],
) {
  return {
    pk: `WINDOW#${region}#${window.windowStart}`,
    ...window,
    region,
    ...NO_FIGURES,
    ...figures,
    eventIds: new Set(records.map((record) => record.eventId)),
  };
}

function seedOpenWindow(region: string, window: { windowStart: string; windowEnd: string }): void {
  analytics.seed({ pk: `OPEN#${region}`, ...window });
}

function openWindow(region: string) {
  return analytics.item(`OPEN#${region}`);
}

function summary(region: string, window: typeof MINUTE_0, figures: Partial<WindowSummary>): WindowSummary {
  return { ...window, region, ...NO_FIGURES, ...figures };
}

function countWrites(): UpdateCommandInput[] {
  return documentClient
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.Key?.pk).startsWith('WINDOW#'));
}

/** Every command sent, in order: `Update WINDOW#…`, `Get OPEN#…`, `Publish analytics/orders/summary`, … */
function timeline(): string[] {
  return inCallOrder([
    ...documentClient.calls().map((call) => {
      const command = call.args[0];
      const key = 'Key' in command.input ? (command.input.Key as { pk?: unknown } | undefined) : undefined;
      return { label: `${commandName(command)} ${String(key?.pk)}`, call };
    }),
    ...iotData.calls().map((call) => {
      const input = call.args[0].input as PublishCommandInput;
      return { label: `Publish ${String(input.topic)}`, call };
    }),
  ]);
}

beforeAll(async () => {
  vi.stubEnv('ANALYTICS_TABLE', ANALYTICS_TABLE);
  vi.stubEnv('ORDERFLOW_FAULT_CUSTOMER_ID', '');
  for (const service of ['', '_DYNAMODB']) vi.stubEnv(`AWS_ENDPOINT_URL${service}`, '');
  vi.stubEnv('AWS_ENDPOINT_URL_IOT_DATA_PLANE', IOT_DATA_ENDPOINT);
  ({ handler: aggregateAnalytics } = await import('../../functions/aggregate-analytics.js'));
});

beforeEach(() => {
  serve();
  warn = vi.spyOn(logger, 'warn');
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.unstubAllEnvs();
  documentClient.restore();
  iotData.restore();
});

describe('aggregateAnalytics (order-activity → one-minute windows per region)', () => {
  it('counts each record of a batch into its window with one conditional write, and opens the window', async () => {
    // Prepare
    const records = activityRecords([PLACED, PAID, FULFILLED]);

    // Act
    const response = await invoke(kinesisEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(countWrites()).toEqual([
      countWrite(PLACED, MINUTE_0),
      countWrite(PAID, MINUTE_0),
      countWrite(FULFILLED, MINUTE_0),
    ]);
    expect(storedWindow('eu-west', MINUTE_0.windowStart)).toEqual(
      windowItem('eu-west', MINUTE_0, { placed: 1, paid: 1, fulfilled: 1, revenue: 4498 }, [
        PLACED,
        PAID,
        FULFILLED,
      ]),
    );
    expect(documentClient).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: ANALYTICS_TABLE,
      Key: { pk: 'OPEN#eu-west' },
      ConditionExpression: 'attribute_not_exists(windowStart)',
    });
    expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_0 });
    expect(iotData).not.toHaveReceivedAnyCommand();
  });

  it('counts SHIPPED into shipped and DELIVERED into delivered, once each however often they come', async () => {
    // Prepare: the stream is written at least once, and Lambda retries
    const records = activityRecords([SHIPPED, DELIVERED, SHIPPED]);

    // Act
    const first = await invoke(kinesisEvent(records));
    const again = await invoke(kinesisEvent(records));

    // Assess
    expect([first, again]).toEqual([NO_FAILURES, NO_FAILURES]);
    expect(countWrites().slice(0, 2)).toEqual([
      countWrite(SHIPPED, MINUTE_0),
      countWrite(DELIVERED, MINUTE_0),
    ]);
    expect(storedWindow('eu-west', MINUTE_0.windowStart)).toEqual(
      windowItem('eu-west', MINUTE_0, { shipped: 1, delivered: 1 }, [SHIPPED, DELIVERED]),
    );
  });

  it.each([
    [
      'in a later batch (a retry, a bisected half, a replay)',
      [
        [PLACED, PAID],
        [PLACED, PAID, FULFILLED],
      ],
    ],
    ['twice in one batch (the stream is written at least once)', [[PLACED, PAID, PLACED, FULFILLED, PAID]]],
  ])('acknowledges a record the window already counted %s without counting it again', async (_, batches) => {
    // Prepare
    seedOpenWindow('eu-west', MINUTE_0);
    let position = 1;

    // Act
    const responses: KinesisStreamBatchResponse[] = [];
    for (const batch of batches) {
      responses.push(await invoke(kinesisEvent(activityRecords(batch, position))));
      position += batch.length;
    }

    // Assess
    expect(responses).toEqual(batches.map(() => NO_FAILURES));
    expect(refusedConditions).toEqual([
      `WINDOW#eu-west#${MINUTE_0.windowStart}`,
      `WINDOW#eu-west#${MINUTE_0.windowStart}`,
    ]);
    expect(storedWindow('eu-west', MINUTE_0.windowStart)).toEqual(
      windowItem('eu-west', MINUTE_0, { placed: 1, paid: 1, fulfilled: 1, revenue: 4498 }, [
        PLACED,
        PAID,
        FULFILLED,
      ]),
    );
  });

  it('acknowledges a record whose count DynamoDB refuses with ConditionalCheckFailedException', async () => {
    // Prepare
    documentClient
      .on(UpdateCommand, { Key: { pk: `WINDOW#eu-west#${MINUTE_0.windowStart}` } })
      .rejects(conditionFailed());
    const [record] = activityRecords([PAID]);
    if (record === undefined) throw new Error('No record');

    // Act
    const response = await invoke(kinesisEvent([record]));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(documentClient).toHaveReceivedCommandWith(UpdateCommand, countWrite(PAID, MINUTE_0));
  });

  it.each([
    ['ProvisionedThroughputExceededException', dynamoDbThrottling('ProvisionedThroughputExceededException')],
    ['ThrottlingException', dynamoDbThrottling('ThrottlingException')],
  ])(
    'reports the sequence number of the one record whose write DynamoDB throttled (%s) and counts the others',
    async (_, throttling) => {
      // Prepare
      failingCounts.set(PAID.eventId, throttling);
      const [placed, paid, fulfilled] = activityRecords([PLACED, PAID, FULFILLED]);
      if (placed === undefined || paid === undefined || fulfilled === undefined)
        throw new Error('No records');

      // Act
      const response = await invoke(kinesisEvent([placed, paid, fulfilled]));

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: kinesisSequenceNumber(2) }] });
      expect(response).toEqual(failures(paid));
      expect(storedWindow('eu-west', MINUTE_0.windowStart)).toEqual(
        windowItem('eu-west', MINUTE_0, { placed: 1, fulfilled: 1 }, [PLACED, FULFILLED]),
      );
    },
  );

  it('counts the throttled record, and nothing twice, when Lambda retries from its sequence number', async () => {
    // Prepare
    failingCounts.set(PAID.eventId, dynamoDbThrottling('ProvisionedThroughputExceededException'));
    const [placed, paid, fulfilled] = activityRecords([PLACED, PAID, FULFILLED]);
    if (placed === undefined || paid === undefined || fulfilled === undefined) throw new Error('No records');
    const first = await invoke(kinesisEvent([placed, paid, fulfilled]));
    failingCounts.clear();

    // Act: Lambda checkpoints before the lowest failed sequence number and delivers from there
    const retry = await invoke(kinesisEvent([paid, fulfilled]));

    // Assess
    expect(first).toEqual(failures(paid));
    expect(retry).toEqual(NO_FAILURES);
    expect(storedWindow('eu-west', MINUTE_0.windowStart)).toEqual(
      windowItem('eu-west', MINUTE_0, { placed: 1, paid: 1, fulfilled: 1, revenue: 4498 }, [
        PLACED,
        PAID,
        FULFILLED,
      ]),
    );
  });

  it.each<[string, Pick<Parameters<typeof kinesisRecord>[0], 'data' | 'rawData'>]>([
    ['data that is not JSON', { rawData: '{"eventId":"e1","status":"PAID"' }],
    ['JSON that is not an activity record', { data: { hello: 'world' } }],
    ['an unknown status', { data: { ...PAID, status: 'RETURNED' } }],
    ['a time that is not ISO 8601', { data: { ...PAID, occurredAt: 'yesterday' } }],
    ['a negative total', { data: { ...PAID, total: -1 } }],
    ['no region', { data: { ...PAID, region: undefined } }],
  ])('reports a record with %s as failed with its sequence number, and counts the others', async (_, bad) => {
    // Prepare: Lambda retries it, bisects down to it, then sends it to the on-failure queue
    const malformed = kinesisRecord({ ...bad, sequenceNumber: kinesisSequenceNumber(2) });
    const [placed] = activityRecords([PLACED], 1);
    const [fulfilled] = activityRecords([FULFILLED], 3);
    if (placed === undefined || fulfilled === undefined) throw new Error('No records');

    // Act
    const response = await invoke(kinesisEvent([placed, malformed, fulfilled]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: malformed.kinesis.sequenceNumber }] });
    expect(countWrites()).toEqual([countWrite(PLACED, MINUTE_0), countWrite(FULFILLED, MINUTE_0)]);
  });

  describe('each failed record logged once at WARN with its order, seq, event and why', () => {
    it('logs the record whose count DynamoDB throttled, and nothing for the records counted', async () => {
      // Prepare
      failingCounts.set(PAID.eventId, dynamoDbThrottling('ProvisionedThroughputExceededException'));
      const [placed, paid, fulfilled] = activityRecords([PLACED, PAID, FULFILLED]);
      if (placed === undefined || paid === undefined || fulfilled === undefined)
        throw new Error('No records');

      // Act
      const response = await invoke(kinesisEvent([placed, paid, fulfilled]));

      // Assess
      expect(response).toEqual(failures(paid));
      expect(warn.mock.calls).toEqual([
        failedStreamRecordLog(paid, PAID, dynamoDbThrottled('ProvisionedThroughputExceededException')),
      ]);
    });

    it('logs a record that is not an activity record by its sequence number, saying it could not be parsed', async () => {
      // Prepare
      const malformed = kinesisRecord({ rawData: 'not json', sequenceNumber: kinesisSequenceNumber(2) });
      const [placed] = activityRecords([PLACED], 1);
      if (placed === undefined) throw new Error('No record');

      // Act
      const response = await invoke(kinesisEvent([placed, malformed]));

      // Assess
      expect(response).toEqual(failures(malformed));
      expect(warn.mock.calls).toEqual([
        [
          RECORD_FAILED,
          {
            sequenceNumber: malformed.kinesis.sequenceNumber,
            reason: retriedInShard(
              'the record could not be parsed; InvalidEventError: Not an orderflow event: the Kinesis data is not JSON',
            ),
          },
        ],
      ]);
    });
  });

  describe('closing windows', () => {
    it('publishes the summary of the open window when a record of the next minute arrives, then moves the open window', async () => {
      // Prepare: the open window of eu-west is 10:00 and holds two orders placed and one paid
      seedOpenWindow('eu-west', MINUTE_0);
      analytics.seed(
        windowItem('eu-west', MINUTE_0, { placed: 2, paid: 1, revenue: 4498 }, [
          PLACED,
          PAID,
          activityRecord({ orderId: ORDER_C }),
        ]),
      );
      const records = activityRecords([NEXT_MINUTE], 4);

      // Act
      const response = await invoke(kinesisEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(iotData).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(iotData).toHaveReceivedCommandWith(PublishCommand, {
        topic: SUMMARY_TOPIC,
        qos: 1,
        payload: expect.any(Uint8Array),
      });
      expect(iotPublishes(iotData)).toEqual([
        {
          topic: SUMMARY_TOPIC,
          qos: 1,
          payload: {
            windowStart: '2024-05-01T10:00:00.000Z',
            windowEnd: '2024-05-01T10:01:00.000Z',
            region: 'eu-west',
            placed: 2,
            paid: 1,
            cancelled: 0,
            fulfilled: 0,
            shipped: 0,
            delivered: 0,
            revenue: 4498,
          },
        },
      ]);
      expect(documentClient).toHaveReceivedCommandWith(GetCommand, {
        TableName: ANALYTICS_TABLE,
        Key: { pk: `WINDOW#eu-west#${MINUTE_0.windowStart}` },
        ConsistentRead: true,
      });
      expect(documentClient).toHaveReceivedCommandWith(UpdateCommand, {
        TableName: ANALYTICS_TABLE,
        Key: { pk: 'OPEN#eu-west' },
        UpdateExpression: 'SET windowStart = :to, windowEnd = :toEnd',
        ConditionExpression: 'windowStart = :from',
        ExpressionAttributeValues: {
          ':to': MINUTE_1.windowStart,
          ':toEnd': MINUTE_1.windowEnd,
          ':from': MINUTE_0.windowStart,
        },
      });
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_1 });
      expect(timeline()).toEqual([
        `Update WINDOW#eu-west#${MINUTE_1.windowStart}`,
        'Get OPEN#eu-west',
        `Get WINDOW#eu-west#${MINUTE_0.windowStart}`,
        `Publish ${SUMMARY_TOPIC}`,
        'Update OPEN#eu-west',
      ]);
    });

    it('summarises shipped and delivered, and gives a window counted before they were counted 0 of each', async () => {
      // Prepare: 10:00 was counted by an earlier version (no shipped or delivered attributes), 10:01 by this one
      seedOpenWindow('eu-west', MINUTE_0);
      analytics.seed({
        pk: `WINDOW#eu-west#${MINUTE_0.windowStart}`,
        ...MINUTE_0,
        region: 'eu-west',
        placed: 1,
        paid: 0,
        cancelled: 0,
        fulfilled: 0,
        revenue: 0,
        eventIds: new Set([PLACED.eventId]),
      });
      const minute1 = { occurredAt: '2024-05-01T10:01:10.000Z' };
      const minute2 = activityRecord({ orderId: ORDER_B, occurredAt: '2024-05-01T10:02:10.000Z' });

      // Act
      await invoke(
        kinesisEvent(
          activityRecords(
            [
              { ...SHIPPED, ...minute1 },
              { ...DELIVERED, ...minute1 },
            ],
            4,
          ),
        ),
      );
      const response = await invoke(kinesisEvent(activityRecords([minute2], 6)));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(iotPublishes(iotData)).toEqual([
        { topic: SUMMARY_TOPIC, qos: 1, payload: summary('eu-west', MINUTE_0, { placed: 1 }) },
        {
          topic: SUMMARY_TOPIC,
          qos: 1,
          payload: summary('eu-west', MINUTE_1, { shipped: 1, delivered: 1 }),
        },
      ]);
      expect(iotPublishes(iotData)[0]?.payload).toMatchObject({ shipped: 0, delivered: 0 });
    });

    it('publishes nothing for a record in the open window', async () => {
      // Prepare
      seedOpenWindow('eu-west', MINUTE_0);

      // Act
      const response = await invoke(kinesisEvent(activityRecords([FULFILLED])));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(iotData).not.toHaveReceivedAnyCommand();
      expect(timeline()).toEqual([`Update WINDOW#eu-west#${MINUTE_0.windowStart}`, 'Get OPEN#eu-west']);
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_0 });
    });

    it('publishes a closed window once when the batch that closed it comes again', async () => {
      // Prepare
      seedOpenWindow('eu-west', MINUTE_0);
      const records = activityRecords([PLACED, NEXT_MINUTE]);

      // Act
      const first = await invoke(kinesisEvent(records));
      const again = await invoke(kinesisEvent(records));

      // Assess
      expect([first, again]).toEqual([NO_FAILURES, NO_FAILURES]);
      expect(iotPublishes(iotData)).toEqual([
        { topic: SUMMARY_TOPIC, qos: 1, payload: summary('eu-west', MINUTE_0, { placed: 1 }) },
      ]);
      expect(storedWindow('eu-west', MINUTE_1.windowStart)).toEqual(
        windowItem('eu-west', MINUTE_1, { placed: 1 }, [NEXT_MINUTE]),
      );
    });

    it('closes the open window of each region on its own', async () => {
      // Prepare
      seedOpenWindow('eu-west', MINUTE_0);
      seedOpenWindow('us-east', MINUTE_0);
      const usEast = activityRecord({
        orderId: ORDER_C,
        region: 'us-east',
        occurredAt: '2024-05-01T10:00:50.000Z',
      });
      const records = activityRecords([PAID, usEast, NEXT_MINUTE]);

      // Act
      const response = await invoke(kinesisEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(iotPublishes(iotData)).toEqual([
        { topic: SUMMARY_TOPIC, qos: 1, payload: summary('eu-west', MINUTE_0, { paid: 1, revenue: 4498 }) },
      ]);
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_1 });
      expect(openWindow('us-east')).toEqual({ pk: 'OPEN#us-east', ...MINUTE_0 });
      expect(storedWindow('us-east', MINUTE_0.windowStart)).toEqual(
        windowItem('us-east', MINUTE_0, { placed: 1 }, [usEast]),
      );
    });

    it('keeps the window open when IoT Core throttles its summary, and publishes it with the next batch', async () => {
      // Prepare
      seedOpenWindow('eu-west', MINUTE_0);
      iotData
        .on(PublishCommand)
        .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
        .resolves({});
      const [paid, next] = activityRecords([PAID, NEXT_MINUTE]);
      if (paid === undefined || next === undefined) throw new Error('No records');

      // Act
      const first = await invoke(kinesisEvent([paid, next]));
      const openAfterFirst = openWindow('eu-west');
      const second = await invoke(
        kinesisEvent(
          activityRecords([activityRecord({ orderId: ORDER_C, occurredAt: '2024-05-01T10:01:20.000Z' })], 3),
        ),
      );

      // Assess
      expect([first, second]).toEqual([NO_FAILURES, NO_FAILURES]);
      expect(openAfterFirst).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_0 });
      expect(iotData).toHaveReceivedCommandTimes(PublishCommand, 2);
      expect(iotPublishes(iotData)[1]).toEqual({
        topic: SUMMARY_TOPIC,
        qos: 1,
        payload: summary('eu-west', MINUTE_0, { paid: 1, revenue: 4498 }),
      });
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_1 });
    });

    it('publishes the summary of every window a batch closes, not only of the open one', async () => {
      // Prepare: the open window is 10:00; the batch has records of 10:01 and 10:02
      seedOpenWindow('eu-west', MINUTE_0);
      const later = activityRecord({ orderId: ORDER_C, occurredAt: '2024-05-01T10:02:05.000Z' });
      const records = activityRecords([PAID, NEXT_MINUTE, later]);

      // Act
      const response = await invoke(kinesisEvent(records));

      // Assess: 10:00 and 10:01 are both over; each has its summary
      expect(response).toEqual(NO_FAILURES);
      expect(iotPublishes(iotData)).toEqual([
        { topic: SUMMARY_TOPIC, qos: 1, payload: summary('eu-west', MINUTE_0, { paid: 1, revenue: 4498 }) },
        { topic: SUMMARY_TOPIC, qos: 1, payload: summary('eu-west', MINUTE_1, { placed: 1 }) },
      ]);
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_2 });
    });

    it('publishes the summary of the first window of a region when the first batch ever reaches the next minute', async () => {
      // Prepare: nothing is open yet
      const records = activityRecords([PLACED, PAID, NEXT_MINUTE]);

      // Act
      const response = await invoke(kinesisEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(iotPublishes(iotData)).toEqual([
        {
          topic: SUMMARY_TOPIC,
          qos: 1,
          payload: summary('eu-west', MINUTE_0, { placed: 1, paid: 1, revenue: 4498 }),
        },
      ]);
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_1 });
    });

    it('publishes no second summary of a window summarised already when a late record of it comes with a later one', async () => {
      // Prepare: 10:00 was summarised and 10:01 is open; a late record of 10:00 and one of 10:02 arrive
      seedOpenWindow('eu-west', MINUTE_1);
      analytics.seed(windowItem('eu-west', MINUTE_0, { placed: 1 }, [PLACED]));
      analytics.seed(windowItem('eu-west', MINUTE_1, { placed: 1 }, [NEXT_MINUTE]));
      const late = activityRecord({ orderId: ORDER_C, occurredAt: '2024-05-01T10:00:50.000Z' });
      const later = activityRecord({
        orderId: ORDER_C,
        status: 'PAID',
        occurredAt: '2024-05-01T10:02:05.000Z',
      });

      // Act
      const response = await invoke(kinesisEvent(activityRecords([late, later])));

      // Assess: one message per closed window (README, "Analytics and notifications"); the late record is counted
      expect(response).toEqual(NO_FAILURES);
      expect(iotPublishes(iotData)).toEqual([
        { topic: SUMMARY_TOPIC, qos: 1, payload: summary('eu-west', MINUTE_1, { placed: 1 }) },
      ]);
      expect(storedWindow('eu-west', MINUTE_0.windowStart)).toMatchObject({ placed: 2 });
      expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_2 });
    });

    it('does not close a window while a record of it failed in the batch: its summary counts the record once retried', async () => {
      // Prepare: the payment of 10:00 is throttled; a record of 10:01 follows it in the batch
      seedOpenWindow('eu-west', MINUTE_0);
      failingCounts.set(PAID.eventId, dynamoDbThrottling('ProvisionedThroughputExceededException'));
      const [placed, paid, next] = activityRecords([PLACED, PAID, NEXT_MINUTE]);
      if (placed === undefined || paid === undefined || next === undefined) throw new Error('No records');

      // Act: Lambda retries from the payment
      const first = await invoke(kinesisEvent([placed, paid, next]));
      failingCounts.clear();
      const retry = await invoke(kinesisEvent([paid, next]));

      // Assess: the one summary of 10:00 holds the payment
      expect(first).toEqual(failures(paid));
      expect(retry).toEqual(NO_FAILURES);
      expect(iotPublishes(iotData)).toEqual([
        {
          topic: SUMMARY_TOPIC,
          qos: 1,
          payload: summary('eu-west', MINUTE_0, { placed: 1, paid: 1, revenue: 4498 }),
        },
      ]);
    });
  });

  it('counts and closes the sample event of events/aggregate-analytics.json', async () => {
    // Prepare: a previous batch opened the window of 10:00
    const event = kinesisSample('aggregate-analytics.json');
    seedOpenWindow('eu-west', MINUTE_0);

    // Act
    const response = await invoke(event);

    // Assess
    expect(event.Records).toHaveLength(3);
    expect(response).toEqual(NO_FAILURES);
    expect(countWrites()).toHaveLength(3);
    expect(iotPublishes(iotData)).toEqual([
      {
        topic: SUMMARY_TOPIC,
        qos: 1,
        payload: summary('eu-west', MINUTE_0, { placed: 1, paid: 1, revenue: 4498 }),
      },
    ]);
    expect(storedWindow('eu-west', MINUTE_1.windowStart)).toMatchObject({ fulfilled: 1, placed: 0, paid: 0 });
    expect(openWindow('eu-west')).toEqual({ pk: 'OPEN#eu-west', ...MINUTE_1 });
  });
});
