import { IoTDataPlaneClient, PublishCommand, ThrottlingException } from '@aws-sdk/client-iot-data-plane';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../shared/observability.js';
import { lambdaContext } from '../support/api-event.js';
import { failures, NO_FAILURES } from '../support/batch-response.js';
import { dynamoDbThrottled, failedRecordLog, type WarnSpy } from '../support/failure-log.js';
import { conditionOf, FakeTable } from '../support/fake-dynamodb.js';
import { dynamoDbThrottling } from '../support/order-world.js';
import { sqsSample } from '../support/sample-events.js';
import { inCallOrder, iotPublishes } from '../support/sdk-calls.js';
import type { OrderEventMessage, SqsHandler } from '../support/sqs-event.js';
import {
  orderEventBody,
  orderEventRecord,
  REVIEW_QUEUE_ARN,
  sqsEvent,
  sqsRecord,
} from '../support/sqs-event.js';

const REVIEWS_TABLE = 'orderflow-test-reviews';
const DLQ_NAME = 'orderflow-test-review-dlq.fifo';
const DLQ_URL = `https://sqs.us-east-1.amazonaws.com/123456789012/${DLQ_NAME}`;
const REVIEWS_TOPIC = 'ops/reviews';
/** The account's IoT data endpoint, as a deploy gives it. */
const IOT_DATA_ENDPOINT = 'https://abc123-ats.iot.eu-west-1.amazonaws.com';

const ORDER_X = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const ORDER_Y = 'e1f2a3b4-c5d6-4e7f-9a8b-7c6d5e4f3a2b';
const OPENED_AT = '2024-05-01T10:00:02.000Z';

const documentClient = mockClient(DynamoDBDocumentClient);
const iot = mockClient(IoTDataPlaneClient);
const sqs = mockClient(SQSClient);
const reviews = new FakeTable(REVIEWS_TABLE, 'orderId');
let reviewOrder: SqsHandler;
/** The `warn` of the logger reviewOrder logs with. */
let warn: WarnSpy;

/** Points the clients at the reviews table, the broker and the DLQ again, with no history. */
function serve(): void {
  documentClient.reset();
  iot.reset();
  sqs.reset();
  reviews.clear();
  documentClient.on(PutCommand).callsFake((input: PutCommandInput) => {
    reviews.put(input.TableName, input.Item, conditionOf(input), false);
    return {};
  });
  iot.on(PublishCommand).resolves({});
  sqs.on(GetQueueUrlCommand, { QueueName: DLQ_NAME }).resolves({ QueueUrl: DLQ_URL });
  sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
    if (input.QueueUrl !== DLQ_URL) throw new Error(`No such queue ${String(input.QueueUrl)}`);
    return { MessageId: '9d2e3f4a-0000-4000-8000-000000000002', SequenceNumber: '20000000000000000002' };
  });
}

function invoke(event: SQSEvent): Promise<SQSBatchResponse> {
  return reviewOrder(event, lambdaContext({ functionName: 'orderflow-test-reviewOrder' }));
}

/** A high-value order placed: what the review subscription lets through (total ≥ 100000). */
const placedX = orderEventBody({
  type: 'OrderPlaced',
  orderId: ORDER_X,
  customerId: 'cust_1337',
  total: 150_000,
});
const placedY = orderEventBody({
  type: 'OrderPlaced',
  orderId: ORDER_Y,
  customerId: 'cust_7',
  total: 100_000,
});

/** The review case of a placed order, as published and stored (stored with `status: 'OPEN'`). */
function reviewCaseOf({ event }: OrderEventMessage, total: number, openedAt = OPENED_AT) {
  return {
    orderId: event.orderId,
    customerId: event.customerId,
    total,
    currency: 'EUR',
    region: 'eu-west',
    eventId: event.eventId,
    openedAt,
  };
}

/** The commands the broker and the table received, in the order they were sent. */
function timeline(): string[] {
  return inCallOrder([
    ...iot.calls().map((call) => ({ label: `iot.${call.args[0].constructor.name}`, call })),
    ...documentClient.calls().map((call) => ({ label: `reviews.${call.args[0].constructor.name}`, call })),
  ]);
}

beforeAll(async () => {
  vi.stubEnv('REVIEWS_TABLE', REVIEWS_TABLE);
  vi.stubEnv('DEAD_LETTER_QUEUE_NAME', DLQ_NAME);
  for (const service of ['', '_DYNAMODB', '_SQS']) vi.stubEnv(`AWS_ENDPOINT_URL${service}`, '');
  vi.stubEnv('AWS_ENDPOINT_URL_IOT_DATA_PLANE', IOT_DATA_ENDPOINT);
  ({ handler: reviewOrder } = await import('../../functions/review-order.js'));
});

beforeEach(() => {
  serve();
  vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(OPENED_AT) });
  warn = vi.spyOn(logger, 'warn');
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.unstubAllEnvs();
  documentClient.restore();
  iot.restore();
  sqs.restore();
});

describe('reviewOrder (review.fifo → ops/reviews)', () => {
  it('publishes a high-value order to ops/reviews with QoS 1, then stores its case on the condition that it is new', async () => {
    // Prepare
    const record = orderEventRecord(placedX, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([record]));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iot).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(iotPublishes(iot)).toEqual([
      { topic: REVIEWS_TOPIC, qos: 1, payload: reviewCaseOf(placedX, 150_000) },
    ]);
    expect(documentClient).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: REVIEWS_TABLE,
      Item: { ...reviewCaseOf(placedX, 150_000), status: 'OPEN' },
      ConditionExpression: 'attribute_not_exists(orderId)',
    });
    expect(timeline()).toEqual(['iot.PublishCommand', 'reviews.PutCommand']);
    expect(reviews.item(ORDER_X)).toEqual({ ...reviewCaseOf(placedX, 150_000), status: 'OPEN' });
    expect(sqs).not.toHaveReceivedAnyCommand();
  });

  it('acknowledges a repeat delivery whose case is already stored, keeping the first case', async () => {
    // Prepare: the first delivery stored its case an hour ago
    const firstCase = { ...reviewCaseOf(placedX, 150_000, '2024-05-01T09:00:02.000Z'), status: 'OPEN' };
    reviews.seed(firstCase);
    const repeat = orderEventRecord(placedX, { queueArn: REVIEW_QUEUE_ARN, receiveCount: 2 });

    // Act
    const response = await invoke(sqsEvent([repeat]));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(documentClient).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      ConditionExpression: 'attribute_not_exists(orderId)',
    });
    expect(reviews.item(ORDER_X)).toEqual(firstCase);
    // At least once: the case goes out again (keyed by orderId) before the store says it is known.
    expect(iotPublishes(iot)).toEqual([
      { topic: REVIEWS_TOPIC, qos: 1, payload: reviewCaseOf(placedX, 150_000) },
    ]);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [
      'an OrderPaid',
      orderEventBody({ type: 'OrderPaid', orderId: ORDER_X, seq: 2, total: 150_000 }),
      'OrderPaid',
    ],
    [
      'an OrderCancelled',
      orderEventBody({ type: 'OrderCancelled', orderId: ORDER_X, seq: 2, total: 150_000 }),
      'OrderCancelled',
    ],
  ])('sends %s to the DLQ with its reason and group, then acknowledges it', async (_, message, type) => {
    // Prepare
    const record = orderEventRecord(message, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([record]));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(SendMessageCommand, {
      QueueUrl: DLQ_URL,
      MessageBody: record.body,
      MessageGroupId: ORDER_X,
      MessageDeduplicationId: record.messageId,
      MessageAttributes: {
        failureReason: {
          DataType: 'String',
          StringValue: `InvalidEventError: Not an orderflow event: review.fifo takes OrderPlaced only, got ${type}`,
        },
        sourceMessageId: { DataType: 'String', StringValue: record.messageId },
      },
    });
    expect(iot).not.toHaveReceivedAnyCommand();
    expect(documentClient).not.toHaveReceivedAnyCommand();
  });

  it('sends a body that is not JSON to the DLQ and goes on with the batch', async () => {
    // Prepare
    const malformed = sqsRecord({
      body: 'OrderPlaced 150000 EUR',
      groupId: ORDER_X,
      attributes: placedX.attributes,
      queueArn: REVIEW_QUEUE_ARN,
    });
    const next = orderEventRecord(placedY, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([malformed, next]));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(SendMessageCommand, {
      MessageGroupId: ORDER_X,
      MessageAttributes: expect.objectContaining({
        failureReason: {
          DataType: 'String',
          StringValue: 'InvalidEventError: Not an orderflow event: the body is not JSON',
        },
      }),
    });
    expect(iotPublishes(iot)).toEqual([
      { topic: REVIEWS_TOPIC, qos: 1, payload: reviewCaseOf(placedY, 100_000) },
    ]);
  });

  it('reports the record as retryable when IoT Core throttles, storing nothing for it, and goes on with other groups', async () => {
    // Prepare
    iot
      .on(PublishCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }))
      .resolves({});
    const throttled = orderEventRecord(placedX, { queueArn: REVIEW_QUEUE_ARN });
    const other = orderEventRecord(placedY, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([throttled, other]));

    // Assess
    expect(response).toEqual(failures(throttled));
    expect(reviews.item(ORDER_X)).toBeUndefined();
    expect(documentClient).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      Item: { ...reviewCaseOf(placedY, 100_000), status: 'OPEN' },
    });
    expect(sqs).not.toHaveReceivedAnyCommand();
  });

  it('reports the record as retryable when the reviews table is throttled after the publish', async () => {
    // Prepare
    documentClient.on(PutCommand).rejects(dynamoDbThrottling('ProvisionedThroughputExceededException'));
    const record = orderEventRecord(placedX, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([record]));

    // Assess
    expect(response).toEqual(failures(record));
    expect(iot).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });

  it('logs the record IoT Core throttled at WARN with its order, seq, event and the error, and nothing for the other', async () => {
    // Prepare
    iot
      .on(PublishCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }))
      .resolves({});
    const throttled = orderEventRecord(placedX, { queueArn: REVIEW_QUEUE_ARN });
    const other = orderEventRecord(placedY, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([throttled, other]));

    // Assess
    expect(response).toEqual(failures(throttled));
    expect(warn.mock.calls).toEqual([
      failedRecordLog(
        throttled,
        placedX,
        `DependencyUnavailableError: IoT data plane at ${IOT_DATA_ENDPOINT} is unavailable right now; retry the ` +
          'same request. — caused by ThrottlingException: Rate exceeded',
      ),
    ]);
  });

  it('logs the record whose case the reviews table throttled, naming the throttling', async () => {
    // Prepare
    documentClient.on(PutCommand).rejects(dynamoDbThrottling('ProvisionedThroughputExceededException'));
    const record = orderEventRecord(placedX, { queueArn: REVIEW_QUEUE_ARN });

    // Act
    const response = await invoke(sqsEvent([record]));

    // Assess
    expect(response).toEqual(failures(record));
    expect(warn.mock.calls).toEqual([
      failedRecordLog(record, placedX, dynamoDbThrottled('ProvisionedThroughputExceededException')),
    ]);
  });

  it('publishes and stores the order of events/review-order.json', async () => {
    // Prepare
    const sample = sqsSample('review-order.json');

    // Act
    const response = await invoke(sample);

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotPublishes(iot)).toEqual([
      {
        topic: REVIEWS_TOPIC,
        qos: 1,
        payload: expect.objectContaining({ total: 150_000, orderId: 'd5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f8a' }),
      },
    ]);
    expect(reviews.item('d5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f8a')).toMatchObject({
      status: 'OPEN',
      total: 150_000,
    });
  });
});
