import { KMSAccessDeniedException, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PublishCommand } from '@aws-sdk/client-sns';
import { RequestThrottled, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { GetCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';
import { fulfillmentEventIdFor } from '../../shared/ids.js';
import { logger } from '../../shared/observability.js';
import { lambdaContext } from '../support/api-event.js';
import { failures, NO_FAILURES } from '../support/batch-response.js';
import {
  ACTIVITY_STREAM,
  ConsumerWorld,
  FULFILLMENT_DLQ_URL,
  importProcessOrder,
  PROGRESS_TABLE,
} from '../support/consumer-world.js';
import { clearMetrics, emittedMetrics, metricTotal } from '../support/emf.js';
import { dynamoDbThrottled, failedRecordLog, RECORD_FAILED, type WarnSpy } from '../support/failure-log.js';
import { CREATE_ORDER_TOTAL, orderItem, storedOrder } from '../support/order-fixtures.js';
import { dynamoDbThrottling, ORDERS_TABLE, orderEventPublish } from '../support/order-world.js';
import { sqsSample } from '../support/sample-events.js';
import type { OrderEventMessage, SqsHandler } from '../support/sqs-event.js';
import {
  orderEventBody,
  orderEventRecord,
  sqsEvent,
  sqsRecord,
  stringAttribute,
} from '../support/sqs-event.js';

const ORDER_A = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';
const ORDER_B = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';
const ORDER_C = 'e3f4a5b6-c7d8-4e9f-a0b1-c2d3e4f5a6b7';
const FULFILLED_AT = '2024-05-01T10:30:00.000Z';

const world = new ConsumerWorld();
let processOrder: SqsHandler;
/** The `warn` of the logger processOrder logs with. */
let warn: WarnSpy;

function invoke(event: SQSEvent, handler: SqsHandler = processOrder): Promise<SQSBatchResponse> {
  return handler(event, lambdaContext({ functionName: 'orderflow-test-processOrder' }));
}

/**
 * Invokes with fake `setTimeout` and `Date`, advancing the clock while the handler waits, so that the activity
 * stream's backoff (50 ms, doubling) takes no real time and `putRecordsTimes` reads the delays.
 */
async function invokeThroughBackoff(event: SQSEvent): Promise<SQSBatchResponse> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'Date'], now: Date.parse(FULFILLED_AT) });
  let settled = false;
  const response = invoke(event).finally(() => {
    settled = true;
  });
  // Fake time only: each step runs the timers due and lets the handler go on to its next wait.
  while (!settled) await vi.advanceTimersByTimeAsync(10);
  return response;
}

/** The activity record an event makes, with the status change the test states. */
function activityOf(
  { event }: OrderEventMessage,
  status: OrderStatus,
  previousStatus: OrderStatus | null,
): ActivityRecord {
  return {
    eventId: event.eventId,
    orderId: event.orderId,
    customerId: event.customerId,
    status,
    previousStatus,
    total: CREATE_ORDER_TOTAL,
    currency: 'EUR',
    region: 'eu-west',
    seq: event.seq,
    occurredAt: event.occurredAt,
  };
}

/** The Kinesis entries of activity records: partition key = orderId. */
function entries(...activities: ActivityRecord[]) {
  return activities.map((activity) => ({ PartitionKey: activity.orderId, activity }));
}

/** The reason of a record Powertools or the batch plan skipped because an earlier one of its order failed. */
function skipped(orderId: string): string {
  return `skipped: an earlier record of message group ${orderId} failed in this batch`;
}

/** The conditional write that moves an order's cursor from `from` to `to`. */
function cursorMove(orderId: string, from: number, to: number): UpdateCommandInput {
  return {
    TableName: PROGRESS_TABLE,
    Key: { orderId },
    UpdateExpression: 'SET #seq = :to',
    ConditionExpression: from === 0 ? 'attribute_not_exists(#seq)' : '#seq = :from',
    ExpressionAttributeNames: { '#seq': 'seq' },
    ExpressionAttributeValues: from === 0 ? { ':to': to } : { ':to': to, ':from': from },
  };
}

function seedCursor(orderId: string, seq: number): void {
  world.progress.seed({ orderId, seq });
}

// Order A: placed, paid, then cancelled by a cancel that won against the fulfillment. Order B: placed, cancelled.
const A1 = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_A });
const A2 = orderEventBody({ type: 'OrderPaid', orderId: ORDER_A, seq: 2 });
const A3 = orderEventBody({ type: 'OrderCancelled', orderId: ORDER_A, seq: 3, previousStatus: 'PAID' });
const B1 = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_B, customerId: 'cust_7' });
const B2 = orderEventBody({ type: 'OrderCancelled', orderId: ORDER_B, customerId: 'cust_7', seq: 2 });
/** Order C: placed. */
const C1 = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_C, customerId: 'cust_9' });
/** Order A cancelled before any payment. */
const A2_CANCELLED = orderEventBody({ type: 'OrderCancelled', orderId: ORDER_A, seq: 2 });

beforeAll(async () => {
  processOrder = await importProcessOrder();
});

beforeEach(() => {
  world.reset();
  warn = vi.spyOn(logger, 'warn');
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.unstubAllEnvs();
  world.restore();
});

describe('processOrder (fulfillment.fifo → Kinesis order-activity)', () => {
  it('records the status changes on Kinesis in rounds of one per order and moves each cursor in one conditional write', async () => {
    // Prepare
    const records = [orderEventRecord(A1), orderEventRecord(B1), orderEventRecord(B2)];

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess: Kinesis does not order the entries of one call, so B2 waits for the round after B1
    expect(response).toEqual(NO_FAILURES);
    expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 2);
    expect(world.kinesis).toHaveReceivedNthCommandWith(PutRecordsCommand, 1, { StreamName: ACTIVITY_STREAM });
    expect(world.kinesis).toHaveReceivedNthCommandWith(PutRecordsCommand, 2, { StreamName: ACTIVITY_STREAM });
    expect(world.putRecords()).toEqual([
      entries(activityOf(A1, 'PLACED', null), activityOf(B1, 'PLACED', null)),
      entries(activityOf(B2, 'CANCELLED', 'PLACED')),
    ]);
    expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 1), cursorMove(ORDER_B, 0, 2)]);
    expect(world.progress.item(ORDER_A)).toEqual({ orderId: ORDER_A, seq: 1 });
    expect(world.progress.item(ORDER_B)).toEqual({ orderId: ORDER_B, seq: 2 });
    expect(world.timeline()).toEqual([
      'progress.Get',
      'progress.Get',
      'kinesis.PutRecords',
      'kinesis.PutRecords',
      'progress.Update',
      'progress.Update',
    ]);
    expect(world.sqs).not.toHaveReceivedAnyCommand();
  });

  it('applies the orders of a batch at once, and the events of one order one after another', async () => {
    // Prepare: every read takes a moment, so reads that overlap can be seen.
    const reading = new Set<string>();
    let mostOrdersAtOnce = 0;
    world.documentClient.on(GetCommand).callsFake(async (input: GetCommandInput) => {
      const orderId = String(input.Key?.orderId);
      reading.add(orderId);
      mostOrdersAtOnce = Math.max(mostOrdersAtOnce, reading.size);
      await new Promise((resolve) => setTimeout(resolve, 10));
      reading.delete(orderId);
      const table = input.TableName === PROGRESS_TABLE ? world.progress : world.orders;
      const Item = table.get(input.TableName, input.Key);
      return Item === undefined ? {} : { Item };
    });
    const records = [orderEventRecord(A1), orderEventRecord(B1), orderEventRecord(C1), orderEventRecord(B2)];

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(mostOrdersAtOnce).toBe(3);
    expect(world.putRecords()).toEqual([
      entries(activityOf(A1, 'PLACED', null), activityOf(B1, 'PLACED', null), activityOf(C1, 'PLACED', null)),
      entries(activityOf(B2, 'CANCELLED', 'PLACED')),
    ]);
    expect(world.progress.item(ORDER_B)).toEqual({ orderId: ORDER_B, seq: 2 });
  });

  it('records one status change each of several orders in one PutRecords', async () => {
    // Prepare
    const records = [orderEventRecord(A1), orderEventRecord(B1), orderEventRecord(C1)];

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 1);
    expect(world.putRecords()).toEqual([
      entries(activityOf(A1, 'PLACED', null), activityOf(B1, 'PLACED', null), activityOf(C1, 'PLACED', null)),
    ]);
    expect(world.progressUpdates()).toEqual([
      cursorMove(ORDER_A, 0, 1),
      cursorMove(ORDER_B, 0, 1),
      cursorMove(ORDER_C, 0, 1),
    ]);
  });

  it('fails the rest of a message group after a failure and goes on with the other groups', async () => {
    // Prepare: the read of order A for the fulfillment of A2 is throttled
    world.orders.seed(orderItem(storedOrder({ orderId: ORDER_A, status: 'CANCELLED', version: 3 })));
    world.orders.seed(
      orderItem(storedOrder({ orderId: ORDER_B, customerId: 'cust_7', status: 'CANCELLED' })),
    );
    world.fail(world.orders, 'Get', dynamoDbThrottling('ThrottlingException'), { orderId: ORDER_A });
    const [a1, a2, b1, a3, b2] = [
      orderEventRecord(A1),
      orderEventRecord(A2),
      orderEventRecord(B1),
      orderEventRecord(A3),
      orderEventRecord(B2),
    ] as const;

    // Act
    const response = await invoke(sqsEvent([a1, a2, b1, a3, b2]));

    // Assess
    expect(response).toEqual(failures(a2, a3));
    expect(world.putRecords()).toEqual([
      entries(activityOf(A1, 'PLACED', null), activityOf(B1, 'PLACED', null)),
      entries(activityOf(B2, 'CANCELLED', 'PLACED')),
    ]);
    expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 1), cursorMove(ORDER_B, 0, 2)]);
    expect(world.progress.item(ORDER_B)).toEqual({ orderId: ORDER_B, seq: 2 });
    expect(world.timeline().filter((call) => call.startsWith('orders.'))).toEqual(['orders.Get']);
    expect(world.documentClient).toHaveReceivedCommandWith(GetCommand, {
      TableName: ORDERS_TABLE,
      Key: { orderId: ORDER_A },
    });
    expect(world.sns).not.toHaveReceivedAnyCommand();
    expect(world.sqs).not.toHaveReceivedAnyCommand();
  });

  it('fails the group whose cursor cannot be read and goes on with the others', async () => {
    // Prepare
    world.fail(world.progress, 'Get', dynamoDbThrottling('ThrottlingException'), { orderId: ORDER_A });
    const [a1, b1, a2] = [
      orderEventRecord(A1),
      orderEventRecord(B1),
      orderEventRecord(A2_CANCELLED),
    ] as const;

    // Act
    const response = await invoke(sqsEvent([a1, b1, a2]));

    // Assess
    expect(response).toEqual(failures(a1, a2));
    expect(world.putRecords()).toEqual([entries(activityOf(B1, 'PLACED', null))]);
    expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 0, 1)]);
    expect(world.sqs).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['an older event', 1],
    ['the last applied event', 2],
  ])('acknowledges a duplicate (%s, seq ≤ applied) with no write at all', async (_, seq) => {
    // Prepare
    seedCursor(ORDER_A, 2);
    world.orders.seed(orderItem(storedOrder({ orderId: ORDER_A, status: 'FULFILLED' })));
    const duplicate = orderEventRecord(seq === 1 ? A1 : A2, { receiveCount: 2 });

    // Act
    const response = await invoke(sqsEvent([duplicate]));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(world.timeline()).toEqual(['progress.Get']);
    expect(world.kinesis).not.toHaveReceivedAnyCommand();
    expect(world.sns).not.toHaveReceivedAnyCommand();
    expect(world.progress.item(ORDER_A)).toEqual({ orderId: ORDER_A, seq: 2 });
  });

  it('writes only the new event of a group whose batch begins with a redelivered one', async () => {
    // Prepare
    seedCursor(ORDER_B, 1);
    const records = [orderEventRecord(B1, { receiveCount: 3 }), orderEventRecord(B2)];

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(world.putRecords()).toEqual([entries(activityOf(B2, 'CANCELLED', 'PLACED'))]);
    expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 1, 2)]);
  });

  it('fails an event that arrives before its predecessor (a gap) as retryable, writing nothing for it', async () => {
    // Prepare: A2 has not been applied yet
    seedCursor(ORDER_A, 1);
    const gap = orderEventRecord(A3);
    const other = orderEventRecord(B1);

    // Act
    const response = await invoke(sqsEvent([gap, other]));

    // Assess
    expect(response).toEqual(failures(gap));
    expect(world.putRecords()).toEqual([entries(activityOf(B1, 'PLACED', null))]);
    expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 0, 1)]);
    expect(world.progress.item(ORDER_A)).toEqual({ orderId: ORDER_A, seq: 1 });
    expect(world.sqs).not.toHaveReceivedAnyCommand();
  });

  it('reports the applied records of an order whose cursor another delivery moved first; they come back as duplicates', async () => {
    // Prepare: another delivery of A1 and A2 moves A's cursor to 2 before this invocation's conditional write
    world.raceCursor(ORDER_A, 2);
    const [a1, b1, a2] = [
      orderEventRecord(A1),
      orderEventRecord(B1),
      orderEventRecord(A2_CANCELLED),
    ] as const;

    // Act
    const response = await invoke(sqsEvent([a1, b1, a2]));
    const redelivered = await invoke(
      sqsEvent([
        orderEventRecord(A1, { messageId: a1.messageId, receiveCount: 2 }),
        orderEventRecord(A2_CANCELLED, { messageId: a2.messageId, receiveCount: 2 }),
      ]),
    );

    // Assess
    expect(response).toEqual(failures(a1, a2));
    expect(world.putRecords()).toEqual([
      entries(activityOf(A1, 'PLACED', null), activityOf(B1, 'PLACED', null)),
      entries(activityOf(A2_CANCELLED, 'CANCELLED', 'PLACED')),
    ]);
    expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 2), cursorMove(ORDER_B, 0, 1)]);
    expect(world.progress.item(ORDER_A)).toEqual({ orderId: ORDER_A, seq: 2 });
    expect(world.progress.item(ORDER_B)).toEqual({ orderId: ORDER_B, seq: 1 });
    expect(redelivered).toEqual(NO_FAILURES);
    expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 2);
    expect(world.progressUpdates()).toHaveLength(2);
    expect(world.sqs).not.toHaveReceivedAnyCommand();
  });

  it('emits its batch as EMF metrics: processed, duplicate, gap, dead-lettered and the failures it reports', async () => {
    // Prepare
    seedCursor(ORDER_B, 1);
    const gap = orderEventBody({ type: 'OrderCancelled', orderId: ORDER_C, customerId: 'cust_9', seq: 2 });
    const malformed = sqsRecord({ body: 'not json', groupId: ORDER_A, attributes: A1.attributes });
    const records = [malformed, orderEventRecord(A1), orderEventRecord(B1), orderEventRecord(gap)];
    clearMetrics();

    // Act
    const response = await invoke(sqsEvent(records));

    // Assess
    expect(response).toEqual(failures(records[3] as SQSRecord));
    const consumer = { service: 'orderflow', stage: 'test', consumer: 'processOrder' };
    expect({
      RecordsProcessed: metricTotal('RecordsProcessed', consumer),
      DuplicatesDropped: metricTotal('DuplicatesDropped', consumer),
      GapsRetried: metricTotal('GapsRetried', consumer),
      DeadLettered: metricTotal('DeadLettered', consumer),
      BatchItemFailures: metricTotal('BatchItemFailures', consumer),
    }).toEqual({
      RecordsProcessed: 1,
      DuplicatesDropped: 1,
      GapsRetried: 1,
      DeadLettered: 1,
      BatchItemFailures: 1,
    });
    expect(emittedMetrics().every((set) => set.namespace === 'orderflow')).toBe(true);
    expect(emittedMetrics().flatMap((set) => Object.keys(set.dimensions))).not.toContain('orderId');
  });

  describe('a message that is not an orderflow event', () => {
    const placed = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_A });
    const paidWithoutSeq = orderEventBody({ type: 'OrderPaid', orderId: ORDER_A, seq: 2 }).event;

    it.each([
      [
        'a body that is not JSON',
        { body: '{"eventId":"e1","type":"OrderPlaced"', attributes: placed.attributes },
        /^InvalidEventError: Not an orderflow event: the body is not JSON$/,
      ],
      [
        'JSON that is not an event',
        { body: '{"hello":"world"}', attributes: placed.attributes },
        /^InvalidEventError: Not an orderflow event: type Invalid discriminator value/,
      ],
      [
        'an event of an unknown type',
        { body: JSON.stringify({ ...placed.event, type: 'OrderReturned' }), attributes: placed.attributes },
        /^InvalidEventError: Not an orderflow event: type Invalid discriminator value/,
      ],
      [
        'an OrderPaid without its seq',
        { body: JSON.stringify({ ...paidWithoutSeq, seq: undefined }), attributes: placed.attributes },
        /^InvalidEventError: Not an orderflow event: seq /,
      ],
      [
        'an event without its message attributes',
        { body: placed.body, attributes: {} },
        /^InvalidEventError: Not an orderflow event: message attributes: eventType .*; total .*; currency .*; region /,
      ],
    ])('sends %s to the DLQ with its reason and group, then acknowledges it', async (_, bad, reason) => {
      // Prepare
      const malformed = sqsRecord({ ...bad, groupId: ORDER_A, dedupId: `${ORDER_A}:1` });
      const next = orderEventRecord(B1);

      // Act
      const response = await invoke(sqsEvent([malformed, next]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.sqs).toHaveReceivedCommandExactlyOnceWith(SendMessageCommand, {
        QueueUrl: FULFILLMENT_DLQ_URL,
        MessageBody: bad.body,
        MessageGroupId: ORDER_A,
        MessageDeduplicationId: malformed.messageId,
        MessageAttributes: {
          failureReason: { DataType: 'String', StringValue: expect.stringMatching(reason) },
          sourceMessageId: { DataType: 'String', StringValue: malformed.messageId },
        },
      });
      expect(world.putRecords()).toEqual([entries(activityOf(B1, 'PLACED', null))]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 0, 1)]);
      expect(world.progress.item(ORDER_A)).toBeUndefined();
    });

    it('goes on with the group after the malformed message it dead-lettered', async () => {
      // Prepare
      const malformed = sqsRecord({ body: 'not json', groupId: ORDER_A, attributes: placed.attributes });
      const next = orderEventRecord(A1);

      // Act
      const response = await invoke(sqsEvent([malformed, next]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
      expect(world.putRecords()).toEqual([entries(activityOf(A1, 'PLACED', null))]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 1)]);
    });

    it('reports the malformed message and the rest of its group when the DLQ cannot take it', async () => {
      // Prepare
      world.sqs
        .on(SendMessageCommand)
        .rejects(new RequestThrottled({ message: 'Request is throttled.', $metadata: {} }));
      const malformed = sqsRecord({ body: 'not json', groupId: ORDER_A, attributes: placed.attributes });
      const next = orderEventRecord(A1);
      const other = orderEventRecord(B1);

      // Act
      const response = await invoke(sqsEvent([malformed, next, other]));

      // Assess
      expect(response).toEqual(failures(malformed, next));
      expect(world.putRecords()).toEqual([entries(activityOf(B1, 'PLACED', null))]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 0, 1)]);
    });
  });

  describe('when Kinesis refuses status changes', () => {
    it('retries only the entries Kinesis refused and reports nothing once the retry writes them', async () => {
      // Prepare: the first call refuses B1's entry
      world.refuseActivity((activity, call) => call === 1 && activity.eventId === B1.event.eventId);
      const records = [orderEventRecord(A1), orderEventRecord(B1)];

      // Act
      const response = await invokeThroughBackoff(sqsEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      const b1 = activityOf(B1, 'PLACED', null);
      expect(world.putRecords()).toEqual([entries(activityOf(A1, 'PLACED', null), b1), entries(b1)]);
      expect(world.putRecordsTimes[1]).toBe((world.putRecordsTimes[0] ?? Number.NaN) + 50);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 1), cursorMove(ORDER_B, 0, 1)]);
    });

    it.each([
      {
        refused: 'A1',
        failed: ['A1', 'A2'],
        // Round 1 and its retries; A2, after A1 in its order, is never sent
        calls: [['A1', 'B1'], ['A1'], ['A1'], ['A1']],
        delays: [0, 50, 150, 350],
        cursorMoves: [cursorMove(ORDER_B, 0, 1)],
      },
      {
        refused: 'A2',
        failed: ['A2'],
        // Round 1, then round 2 at once and its retries
        calls: [['A1', 'B1'], ['A2'], ['A2'], ['A2'], ['A2']],
        delays: [0, 0, 50, 150, 350],
        cursorMoves: [cursorMove(ORDER_A, 0, 1), cursorMove(ORDER_B, 0, 1)],
      },
    ] as const)(
      'reports $refused, which Kinesis keeps refusing, and the rest of its group, never writing a later status change of its order nor moving the cursor past it',
      async ({ refused, failed, calls, delays, cursorMoves }) => {
        // Prepare: order A placed, then cancelled; order B placed
        const messages = { A1, A2: A2_CANCELLED, B1 };
        const records = { A1: orderEventRecord(A1), A2: orderEventRecord(A2_CANCELLED) };
        const refusedId = messages[refused].event.eventId;
        world.refuseActivity((activity) => activity.eventId === refusedId);

        // Act
        const response = await invokeThroughBackoff(sqsEvent([records.A1, records.A2, orderEventRecord(B1)]));

        // Assess
        expect(response).toEqual(failures(...failed.map((name) => records[name])));
        expect(world.putRecords().map((call) => call.map((entry) => entry.activity.eventId))).toEqual(
          calls.map((call) => call.map((name) => messages[name].event.eventId)),
        );
        const [first] = world.putRecordsTimes;
        expect(world.putRecordsTimes.map((time) => time - (first ?? Number.NaN))).toEqual(delays);
        expect(world.progressUpdates()).toEqual(cursorMoves);
      },
    );

    it('retries a PutRecords call that is throttled as a whole and reports nothing once a retry goes through', async () => {
      // Prepare
      world.throttlePutRecords(2);
      const records = [orderEventRecord(A1), orderEventRecord(B1)];

      // Act
      const response = await invokeThroughBackoff(sqsEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 3);
      const [first, , third] = world.putRecords();
      expect(third).toEqual(first);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 1), cursorMove(ORDER_B, 0, 1)]);
    });

    it('reports every applied record of the batch when PutRecords stays throttled, moving no cursor', async () => {
      // Prepare
      world.throttlePutRecords(Number.POSITIVE_INFINITY);
      seedCursor(ORDER_B, 1);
      const [a1, duplicate, b2] = [orderEventRecord(A1), orderEventRecord(B1), orderEventRecord(B2)] as const;

      // Act
      const response = await invokeThroughBackoff(sqsEvent([a1, duplicate, b2]));

      // Assess
      expect(response).toEqual(failures(a1, b2));
      expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 4);
      expect(world.progressUpdates()).toEqual([]);
      expect(world.progress.item(ORDER_B)).toEqual({ orderId: ORDER_B, seq: 1 });
    });
    it('reports every applied record at once when Kinesis refuses the call for a reason a retry cannot fix', async () => {
      // Prepare: the function's role may not use the stream's KMS key
      world.kinesis.on(PutRecordsCommand).rejects(
        new KMSAccessDeniedException({
          message: 'User is not authorized to perform kms:GenerateDataKey on the key of the stream.',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const [a1, b1] = [orderEventRecord(A1), orderEventRecord(B1)] as const;

      // Act
      const response = await invoke(sqsEvent([a1, b1]));

      // Assess
      expect(response).toEqual(failures(a1, b1));
      expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 1);
      expect(world.progressUpdates()).toEqual([]);
    });
  });

  describe('fulfillment of a paid order', () => {
    const paidOrder = storedOrder({ orderId: ORDER_A, status: 'PAID' });
    const fulfillmentEventId = fulfillmentEventIdFor(A2.event.eventId);
    const fulfilledOrder = {
      ...paidOrder,
      status: 'FULFILLED',
      version: 3,
      updatedAt: FULFILLED_AT,
    } as const;
    const orderFulfilled = {
      eventId: fulfillmentEventId,
      type: 'OrderFulfilled',
      orderId: ORDER_A,
      customerId: 'cust_42',
      seq: 3,
      occurredAt: FULFILLED_AT,
      data: {},
    } as const;
    const fulfilledActivity: ActivityRecord = {
      ...activityOf(A2, 'FULFILLED', 'PAID'),
      eventId: fulfillmentEventId,
      seq: 3,
      occurredAt: FULFILLED_AT,
    };
    const lastCommand = { type: 'fulfil', idempotencyKey: A2.event.eventId } as const;
    const commandKeys = { fulfil: A2.event.eventId } as const;

    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(FULFILLED_AT) });
      seedCursor(ORDER_A, 1);
    });

    it('fulfils it: FULFILLED at version 3 written on version 2, OrderFulfilled published, PAID then FULFILLED on Kinesis', async () => {
      // Prepare
      world.orders.seed(orderItem(paidOrder));
      const paid = orderEventRecord(A2);

      // Act
      const response = await invoke(sqsEvent([paid]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.documentClient).toHaveReceivedCommandWith(PutCommand, {
        TableName: ORDERS_TABLE,
        Item: { ...fulfilledOrder, pendingEvent: orderFulfilled, lastCommand, commandKeys },
        ConditionExpression: '#version = :expectedVersion',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expectedVersion': 2 },
      });
      expect(world.publishedEvents()).toEqual([orderFulfilled]);
      expect(world.sns).toHaveReceivedCommandExactlyOnceWith(
        PublishCommand,
        orderEventPublish(ORDER_A, 3, 'OrderFulfilled'),
      );
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED')),
        entries(fulfilledActivity),
      ]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 1, 2)]);
      expect(world.orders.item(ORDER_A)).toEqual({ ...fulfilledOrder, lastCommand, commandKeys });
      expect(world.timeline()).toEqual([
        'progress.Get',
        'orders.Get',
        'orders.Put',
        'sns.Publish',
        'orders.Update',
        'kinesis.PutRecords',
        'kinesis.PutRecords',
        'progress.Update',
      ]);
    });

    it('carries the paid event’s correlation id into its status changes, OrderFulfilled and its publish', async () => {
      // Prepare
      world.orders.seed(orderItem(paidOrder));
      const event = { ...A2.event, correlationId: 'demo-1' };
      const paid = orderEventRecord({
        ...A2,
        event,
        body: JSON.stringify(event),
        attributes: { ...A2.attributes, correlationId: stringAttribute('demo-1', 'String') },
      });

      // Act
      const response = await invoke(sqsEvent([paid]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.putRecords()).toEqual([
        entries({ ...activityOf(A2, 'PAID', 'PLACED'), correlationId: 'demo-1' }),
        entries({ ...fulfilledActivity, correlationId: 'demo-1' }),
      ]);
      expect(world.publishedEvents()).toEqual([{ ...orderFulfilled, correlationId: 'demo-1' }]);
      expect(world.sns).toHaveReceivedCommandExactlyOnceWith(
        PublishCommand,
        orderEventPublish(ORDER_A, 3, 'OrderFulfilled', 'demo-1'),
      );
    });

    it('writes PAID in the first round with the first status change of every other order, FULFILLED in the second', async () => {
      // Prepare
      world.orders.seed(orderItem(paidOrder));
      const records = [orderEventRecord(A2), orderEventRecord(B1)];

      // Act
      const response = await invoke(sqsEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED'), activityOf(B1, 'PLACED', null)),
        entries(fulfilledActivity),
      ]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 1, 2), cursorMove(ORDER_B, 0, 1)]);
    });

    it('reports the payment and never sends FULFILLED when Kinesis keeps refusing PAID, keeping the cursor', async () => {
      // Prepare
      world.orders.seed(orderItem(paidOrder));
      world.refuseActivity((activity) => activity.eventId === A2.event.eventId);
      const [paid, other] = [orderEventRecord(A2), orderEventRecord(B1)] as const;

      // Act
      const response = await invokeThroughBackoff(sqsEvent([paid, other]));

      // Assess: the order is fulfilled; its paid event comes back and writes PAID, then FULFILLED, again
      expect(response).toEqual(failures(paid));
      expect(world.putRecords().map((call) => call.map((entry) => entry.activity.eventId))).toEqual([
        [A2.event.eventId, B1.event.eventId],
        [A2.event.eventId],
        [A2.event.eventId],
        [A2.event.eventId],
      ]);
      expect(world.orders.item(ORDER_A)).toEqual({ ...fulfilledOrder, lastCommand, commandKeys });
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 0, 1)]);
      expect(world.progress.item(ORDER_A)).toEqual({ orderId: ORDER_A, seq: 1 });
    });

    it('publishes an OrderPaid the pay command left pending before it fulfils, keeping the group in seq order', async () => {
      // Prepare: the pay command wrote the order but could not clear its outbox
      world.orders.seed(orderItem(paidOrder, A2.event));

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A2)]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 1, {
        MessageDeduplicationId: `${ORDER_A}:2`,
      });
      expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 2, {
        MessageDeduplicationId: `${ORDER_A}:3`,
      });
      expect(world.publishedEvents()).toEqual([A2.event, orderFulfilled]);
      expect(world.orders.item(ORDER_A)).toEqual({ ...fulfilledOrder, lastCommand, commandKeys });
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED')),
        entries(fulfilledActivity),
      ]);
    });

    it('records the payment but fulfils nothing when a cancel won the race', async () => {
      // Prepare: the order was cancelled after the payment; its OrderCancelled (seq 3) follows in the group
      world.orders.seed(orderItem(storedOrder({ orderId: ORDER_A, status: 'CANCELLED', version: 3 })));
      const records = [orderEventRecord(A2), orderEventRecord(A3)];

      // Act
      const response = await invoke(sqsEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.orderWrites()).toEqual([]);
      expect(world.sns).not.toHaveReceivedAnyCommand();
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED')),
        entries(activityOf(A3, 'CANCELLED', 'PAID')),
      ]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 1, 3)]);
      expect(world.sqs).not.toHaveReceivedAnyCommand();
    });

    it('reports the payment when the fulfillment write is throttled, keeping the order PAID and the cursor', async () => {
      // Prepare
      world.orders.seed(orderItem(paidOrder));
      world.fail(world.orders, 'Put', dynamoDbThrottling('ProvisionedThroughputExceededException'));
      const paid = orderEventRecord(A2);

      // Act
      const response = await invoke(sqsEvent([paid]));

      // Assess
      expect(response).toEqual(failures(paid));
      expect(world.orders.item(ORDER_A)).toEqual(paidOrder);
      expect(world.sns).not.toHaveReceivedAnyCommand();
      expect(world.kinesis).not.toHaveReceivedAnyCommand();
      expect(world.progressUpdates()).toEqual([]);
      expect(world.sqs).not.toHaveReceivedAnyCommand();
    });

    it('resumes after a crash before the cursor moved: no second order write, the same eventIds again, cursor moved', async () => {
      // Prepare: the first delivery fulfils the order, then cannot move the cursor
      world.orders.seed(orderItem(paidOrder));
      world.fail(world.progress, 'Update', dynamoDbThrottling('ThrottlingException'), { times: 1 });
      const firstDelivery = orderEventRecord(A2);
      const first = await invoke(sqsEvent([firstDelivery]));

      // Act
      const redelivery = orderEventRecord(A2, { messageId: firstDelivery.messageId, receiveCount: 2 });
      const response = await invoke(sqsEvent([redelivery]));

      // Assess
      expect(first).toEqual(failures(firstDelivery));
      expect(response).toEqual(NO_FAILURES);
      expect(world.orderWrites()).toEqual(['PutCommand', 'UpdateCommand']);
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      const written = [entries(activityOf(A2, 'PAID', 'PLACED')), entries(fulfilledActivity)];
      expect(world.putRecords()).toEqual([...written, ...written]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 1, 2), cursorMove(ORDER_A, 1, 2)]);
      expect(world.progress.item(ORDER_A)).toEqual({ orderId: ORDER_A, seq: 2 });
    });

    it('re-sends the status changes with the same eventIds for a fulfilled order whose cursor stayed at 1', async () => {
      // Prepare
      vi.setSystemTime(Date.parse(FULFILLED_AT) + 3_600_000);
      world.orders.seed({ ...orderItem(fulfilledOrder), lastCommand, commandKeys });

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A2, { receiveCount: 2 })]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.orderWrites()).toEqual([]);
      expect(world.sns).not.toHaveReceivedAnyCommand();
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED')),
        entries(fulfilledActivity),
      ]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 1, 2)]);
    });

    it('publishes the OrderFulfilled left pending by a crash before the publish, with the same dedup id', async () => {
      // Prepare
      world.orders.seed({ ...orderItem(fulfilledOrder, orderFulfilled), lastCommand, commandKeys });

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A2, { receiveCount: 2 })]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.documentClient).not.toHaveReceivedCommand(PutCommand);
      expect(world.sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
        MessageDeduplicationId: `${ORDER_A}:3`,
      });
      expect(world.publishedEvents()).toEqual([orderFulfilled]);
      expect(world.orders.item(ORDER_A)).toEqual({ ...fulfilledOrder, lastCommand, commandKeys });
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED')),
        entries(fulfilledActivity),
      ]);
    });

    it('records FULFILLED at the payment’s seq + 1 and time when a redelivered payment finds the order shipped since', async () => {
      // Prepare: the first delivery fulfilled the order but its status changes were not written; a scan shipped it
      const shippedOrder = {
        ...fulfilledOrder,
        status: 'SHIPPED',
        version: 4,
        updatedAt: '2024-05-01T11:00:00.000Z',
      } as const;
      world.orders.seed({
        ...orderItem(shippedOrder),
        lastCommand: { type: 'ship', idempotencyKey: 'scan-4' },
        commandKeys: { ...commandKeys, ship: 'scan-4' },
      });

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A2, { receiveCount: 2 })]));

      // Assess: FULFILLED keeps its own seq (3), not the order's version, and the ERP and devices see 3 then 4
      expect(response).toEqual(NO_FAILURES);
      expect(world.orderWrites()).toEqual([]);
      expect(world.sns).not.toHaveReceivedAnyCommand();
      expect(world.putRecords()).toEqual([
        entries(activityOf(A2, 'PAID', 'PLACED')),
        entries({ ...fulfilledActivity, seq: 3, occurredAt: A2.event.occurredAt }),
      ]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 1, 2)]);
    });
  });

  describe('shipping and delivery: the scans’ events', () => {
    /** Order A shipped (seq 4) after its OrderFulfilled (seq 3, which processOrder appended), then delivered. */
    const A4 = orderEventBody({ type: 'OrderShipped', orderId: ORDER_A, seq: 4 });
    const A5 = orderEventBody({ type: 'OrderDelivered', orderId: ORDER_A, seq: 5 });

    it('records SHIPPED for the OrderShipped after a fulfilment, whose OrderFulfilled never comes: the cursor is at the payment', async () => {
      // Prepare: processOrder applied the OrderPaid (seq 2) and recorded the fulfilment (seq 3) with it
      seedCursor(ORDER_A, 2);

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A4)]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.putRecords()).toEqual([entries(activityOf(A4, 'SHIPPED', 'FULFILLED'))]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 2, 4)]);
      expect(world.documentClient).not.toHaveReceivedCommandWith(GetCommand, { TableName: ORDERS_TABLE });
      expect(world.sns).not.toHaveReceivedAnyCommand();
    });

    it('records SHIPPED then DELIVERED of one batch in seq order, one PutRecords call each, and moves the cursor once', async () => {
      // Prepare
      seedCursor(ORDER_A, 2);

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A4), orderEventRecord(A5)]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.putRecords()).toEqual([
        entries(activityOf(A4, 'SHIPPED', 'FULFILLED')),
        entries(activityOf(A5, 'DELIVERED', 'SHIPPED')),
      ]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 2, 5)]);
    });

    it('applies a whole life in one batch: PLACED, PAID, FULFILLED, SHIPPED, DELIVERED on the stream in seq order', async () => {
      // Prepare: the order as it is once paid; the scans come later in the same message group
      vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(FULFILLED_AT) });
      world.orders.seed(orderItem(storedOrder({ orderId: ORDER_A, status: 'PAID' })));
      const records = [A1, A2, A4, A5].map((message) => orderEventRecord(message));

      // Act
      const response = await invoke(sqsEvent(records));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(
        world.putRecords().map((call) => call.map(({ activity }) => [activity.status, activity.seq])),
      ).toEqual([[['PLACED', 1]], [['PAID', 2]], [['FULFILLED', 3]], [['SHIPPED', 4]], [['DELIVERED', 5]]]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 5)]);
    });

    it.each([
      ['an OrderShipped', 4, () => A4],
      ['an OrderDelivered', 5, () => A5],
      ['an OrderShipped after its OrderDelivered', 5, () => A4],
    ])('acknowledges %s it applied as a duplicate, recording nothing', async (_, applied, message) => {
      // Prepare
      seedCursor(ORDER_A, applied);

      // Act
      const response = await invoke(sqsEvent([orderEventRecord(message())]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.kinesis).not.toHaveReceivedAnyCommand();
      expect(world.progressUpdates()).toEqual([]);
    });

    it.each([
      ['an OrderShipped whose payment was not applied', 1, () => A4, 'expected seq 2, got 4'],
      ['an OrderDelivered whose OrderShipped was not applied', 2, () => A5, 'expected seq 3, got 5'],
    ])('fails %s as a gap, to come back after its predecessor', async (_, applied, message, gap) => {
      // Prepare
      seedCursor(ORDER_A, applied);
      const record = orderEventRecord(message());

      // Act
      const response = await invoke(sqsEvent([record]));

      // Assess
      expect(response).toEqual(failures(record));
      expect(world.kinesis).not.toHaveReceivedAnyCommand();
      expect(world.progressUpdates()).toEqual([]);
      expect(warn.mock.calls).toEqual([
        failedRecordLog(
          record,
          message(),
          `gap: ${gap} (an earlier event of this order has not been applied yet)`,
        ),
      ]);
    });
  });

  describe('each failed record logged once at WARN with its order, seq, event and why', () => {
    it('logs a gap and the record skipped after it in its group, and nothing for the records that went through', async () => {
      // Prepare: order A's OrderPlaced has not been applied; its OrderPaid and OrderCancelled arrive
      const [c1, a2, b1, a3] = [
        orderEventRecord(C1),
        orderEventRecord(A2),
        orderEventRecord(B1),
        orderEventRecord(A3),
      ] as const;

      // Act
      const response = await invoke(sqsEvent([c1, a2, b1, a3]));

      // Assess
      expect(response).toEqual(failures(a2, a3));
      expect(warn.mock.calls).toEqual([
        failedRecordLog(
          a2,
          A2,
          'gap: expected seq 1, got 2 (an earlier event of this order has not been applied yet)',
        ),
        failedRecordLog(a3, A3, skipped(ORDER_A)),
      ]);
    });

    it('logs the record whose status change Kinesis kept refusing with the entry error, and the one behind it as skipped', async () => {
      // Prepare
      world.refuseActivity((activity) => activity.eventId === A1.event.eventId);
      const [a1, a2, b1] = [
        orderEventRecord(A1),
        orderEventRecord(A2_CANCELLED),
        orderEventRecord(B1),
      ] as const;

      // Act
      const response = await invokeThroughBackoff(sqsEvent([a1, a2, b1]));

      // Assess
      expect(response).toEqual(failures(a1, a2));
      expect(warn.mock.calls).toEqual([
        failedRecordLog(
          a1,
          A1,
          'the activity stream refused the record (PutRecords entry ProvisionedThroughputExceededException: ' +
            'Rate exceeded for shard shardId-000000000000 in stream orderflow-test-order-activity.)',
        ),
        failedRecordLog(a2, A2_CANCELLED, skipped(ORDER_A)),
      ]);
    });

    it('logs every applied record with the error of the PutRecords call that stayed throttled', async () => {
      // Prepare
      world.throttlePutRecords(Number.POSITIVE_INFINITY);
      const [a1, b1] = [orderEventRecord(A1), orderEventRecord(B1)] as const;

      // Act
      const response = await invokeThroughBackoff(sqsEvent([a1, b1]));

      // Assess
      const reason =
        'the activity stream refused the whole PutRecords call: ProvisionedThroughputExceededException: ' +
        'Rate exceeded for stream orderflow-test-order-activity under account 123456789012.';
      expect(response).toEqual(failures(a1, b1));
      expect(warn.mock.calls).toEqual([failedRecordLog(a1, A1, reason), failedRecordLog(b1, B1, reason)]);
    });

    it('logs the applied records of an order whose cursor another delivery moved first', async () => {
      // Prepare
      world.raceCursor(ORDER_A, 2);
      const [a1, b1, a2] = [
        orderEventRecord(A1),
        orderEventRecord(B1),
        orderEventRecord(A2_CANCELLED),
      ] as const;

      // Act
      const response = await invoke(sqsEvent([a1, b1, a2]));

      // Assess
      const reason =
        'cursor moved by another delivery (it was no longer at seq 0); ' +
        'the event comes back as a duplicate or applies in order';
      expect(response).toEqual(failures(a1, a2));
      expect(warn.mock.calls).toEqual([
        failedRecordLog(a1, A1, reason),
        failedRecordLog(a2, A2_CANCELLED, reason),
      ]);
    });

    it('logs the records whose cursor write DynamoDB throttled, naming the throttling', async () => {
      // Prepare
      world.fail(world.progress, 'Update', dynamoDbThrottling('ThrottlingException'), { orderId: ORDER_B });
      const [a1, b1] = [orderEventRecord(A1), orderEventRecord(B1)] as const;

      // Act
      const response = await invoke(sqsEvent([a1, b1]));

      // Assess
      expect(response).toEqual(failures(b1));
      expect(warn.mock.calls).toEqual([
        failedRecordLog(b1, B1, `could not move the cursor: ${dynamoDbThrottled('ThrottlingException')}`),
      ]);
    });

    it('logs the record whose cursor read DynamoDB throttled, and the rest of its group as skipped', async () => {
      // Prepare
      world.fail(world.progress, 'Get', dynamoDbThrottling('ProvisionedThroughputExceededException'), {
        orderId: ORDER_A,
      });
      const [a1, b1, a2] = [
        orderEventRecord(A1),
        orderEventRecord(B1),
        orderEventRecord(A2_CANCELLED),
      ] as const;

      // Act
      const response = await invoke(sqsEvent([a1, b1, a2]));

      // Assess
      expect(response).toEqual(failures(a1, a2));
      expect(warn.mock.calls).toEqual([
        failedRecordLog(a1, A1, dynamoDbThrottled('ProvisionedThroughputExceededException')),
        failedRecordLog(a2, A2_CANCELLED, skipped(ORDER_A)),
      ]);
    });

    it('logs a record that could not be parsed nor dead-lettered by its message id, with both reasons', async () => {
      // Prepare
      world.sqs
        .on(SendMessageCommand)
        .rejects(new RequestThrottled({ message: 'Request is throttled.', $metadata: {} }));
      const placed = orderEventBody({ type: 'OrderPlaced', orderId: ORDER_A });
      const malformed = sqsRecord({ body: 'not json', groupId: ORDER_A, attributes: placed.attributes });
      const next = orderEventRecord(A1);

      // Act
      const response = await invoke(sqsEvent([malformed, next]));

      // Assess: the sent-to-DLQ warning is not logged, as the message did not go there
      expect(response).toEqual(failures(malformed, next));
      expect(warn.mock.calls).toEqual([
        [
          RECORD_FAILED,
          {
            messageId: malformed.messageId,
            reason:
              'the record could not be parsed; DeadLetterNotSentError: The dead-letter queue did not take a ' +
              'message retrying cannot help (InvalidEventError: Not an orderflow event: the body is not JSON) — ' +
              'caused by DependencyUnavailableError: SQS is unavailable right now; retry the same request. — ' +
              'caused by RequestThrottled: Request is throttled.',
          },
        ],
        failedRecordLog(next, A1, skipped(ORDER_A)),
      ]);
    });

    it('logs nothing at WARN when every record goes through', async () => {
      // Act
      const response = await invoke(sqsEvent([orderEventRecord(A1), orderEventRecord(B1)]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe('the fault switch (ORDERFLOW_FAULT_CUSTOMER_ID, read at cold start)', () => {
    let faulty: SqsHandler;

    beforeAll(async () => {
      vi.resetModules();
      vi.stubEnv('ORDERFLOW_FAULT_CUSTOMER_ID', 'cust_7');
      faulty = await importProcessOrder();
      vi.stubEnv('ORDERFLOW_FAULT_CUSTOMER_ID', '');
    });

    it('fails every event of that customer as retryable and lets other customers through', async () => {
      // Prepare
      const [b1, a1, b2] = [orderEventRecord(B1), orderEventRecord(A1), orderEventRecord(B2)] as const;

      // Act
      const response = await invoke(sqsEvent([b1, a1, b2]), faulty);

      // Assess
      expect(response).toEqual(failures(b1, b2));
      expect(world.putRecords()).toEqual([entries(activityOf(A1, 'PLACED', null))]);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_A, 0, 1)]);
      expect(world.documentClient).not.toHaveReceivedCommandWith(GetCommand, { Key: { orderId: ORDER_B } });
      expect(world.sqs).not.toHaveReceivedAnyCommand();
    });

    it('logs each failed event of that customer with the fault switch as the reason', async () => {
      // Prepare: the logger of the container the switch was read in
      const { logger: faultyLogger } = await import('../../shared/observability.js');
      const faultyWarn = vi.spyOn(faultyLogger, 'warn');
      const [b1, a1, b2] = [orderEventRecord(B1), orderEventRecord(A1), orderEventRecord(B2)] as const;

      // Act
      const response = await invoke(sqsEvent([b1, a1, b2]), faulty);

      // Assess
      expect(response).toEqual(failures(b1, b2));
      expect(faultyWarn.mock.calls).toEqual([
        failedRecordLog(
          b1,
          B1,
          `InjectedFaultError: Injected fault for order '${ORDER_B}': the test-only fault switch ` +
            'ORDERFLOW_FAULT_CUSTOMER_ID names its customer.',
        ),
        failedRecordLog(b2, B2, skipped(ORDER_B)),
      ]);
    });

    it('leaves the handler imported without the variable untouched', async () => {
      // Act
      const response = await invoke(sqsEvent([orderEventRecord(B1)]));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.progressUpdates()).toEqual([cursorMove(ORDER_B, 0, 1)]);
    });
  });

  describe('the sample events for serverless invoke local', () => {
    it('processes events/process-order.json: two orders recorded, the duplicate acknowledged', async () => {
      // Prepare
      const sample = sqsSample('process-order.json');

      // Act
      const response = await invoke(sample);

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 1);
      const [written] = world.putRecords();
      expect(
        written?.map(({ PartitionKey, activity }) => [PartitionKey, activity.status, activity.seq]),
      ).toEqual([
        ['9b2e4c6a-1d3f-4a5b-8c7d-0e1f2a3b4c5d', 'PLACED', 1],
        ['c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f', 'PLACED', 1],
      ]);
      expect(world.progressUpdates()).toEqual([
        cursorMove('9b2e4c6a-1d3f-4a5b-8c7d-0e1f2a3b4c5d', 0, 1),
        cursorMove('c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f', 0, 1),
      ]);
      expect(sample.Records).toHaveLength(3);
      expect(sample.Records.map((record) => record.attributes.MessageGroupId)).toEqual([
        '9b2e4c6a-1d3f-4a5b-8c7d-0e1f2a3b4c5d',
        'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f',
        '9b2e4c6a-1d3f-4a5b-8c7d-0e1f2a3b4c5d',
      ]);
    });

    it('sends the record of events/process-order-malformed.json to the DLQ and acknowledges it', async () => {
      // Prepare
      const sample = sqsSample('process-order-malformed.json');

      // Act
      const response = await invoke(sample);

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(world.sqs).toHaveReceivedCommandExactlyOnceWith(SendMessageCommand, {
        QueueUrl: FULFILLMENT_DLQ_URL,
        MessageBody: sample.Records[0]?.body,
        MessageGroupId: sample.Records[0]?.attributes.MessageGroupId,
      });
      expect(world.kinesis).not.toHaveReceivedAnyCommand();
    });
  });
});
