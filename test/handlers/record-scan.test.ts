import {
  IoTDataPlaneClient,
  PublishCommand as IotPublishCommand,
  ThrottlingException,
} from '@aws-sdk/client-iot-data-plane';
import { PublishCommand as SnsPublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScanOutcome } from '../../shared/app/record-scan.js';
import { ScanTooEarlyError } from '../../shared/core/device-scan.js';
import { DependencyUnavailableError } from '../../shared/core/errors.js';
import { lambdaContext } from '../support/api-event.js';
import { clearMetrics, metricTotal } from '../support/emf.js';
import {
  dynamoDbThrottling,
  IDEMPOTENCY_TABLE,
  ORDER_EVENTS_TOPIC_ARN,
  ORDERS_TABLE,
  OrderWorld,
  orderEventPublish,
} from '../support/order-world.js';
import { iotPublishes } from '../support/sdk-calls.js';

type RecordScanHandler = (event: unknown, context: Context) => Promise<ScanOutcome>;

const ORDER_ID = '9b6d2f1e-3c4a-4b5d-8e6f-7a8b9c0d1e2f';
const SITE_ID = 'LYS-01';
const REJECTED_TOPIC = `warehouse/${SITE_ID}/scans/rejected`;
const STAGE = { service: 'orderflow', stage: 'test' };
/** The account's IoT data endpoint (`iot:Data-ATS`), as a deploy gives it. */
const IOT_DATA_ENDPOINT = 'https://abc123-ats.iot.eu-west-1.amazonaws.com';

const world = new OrderWorld();
const iotData = mockClient(IoTDataPlaneClient);
let handler: RecordScanHandler;

/**
 * What WarehouseScansRule (`SELECT *, topic(2) AS siteId, clientid() AS deviceId, timestamp() AS receivedAt FROM
 * 'warehouse/+/scans'`) hands the function: the scanner's JSON and the three fields the rule adds, no envelope.
 */
function scanEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scanId: 'scan-ship-1',
    orderId: ORDER_ID,
    kind: 'shipped',
    carrier: 'DHL',
    trackingNo: 'JD0146',
    at: '2026-05-02T08:15:00Z',
    siteId: SITE_ID,
    deviceId: 'scanner-7',
    receivedAt: 1_777_709_702_000,
    ...overrides,
  };
}

function recordScan(event: unknown): Promise<ScanOutcome> {
  return handler(event, lambdaContext({ functionName: 'orderflow-test-recordScan' }));
}

/** The scan counts emitted since the last `clearMetrics`. */
function scanCounts(): Record<string, number> {
  return Object.fromEntries(
    ['ScansApplied', 'ScansRepeated', 'ScansRefused'].map((name) => [name, metricTotal(name, STAGE)]),
  );
}

beforeAll(async () => {
  vi.stubEnv('ORDERS_TABLE', ORDERS_TABLE);
  vi.stubEnv('IDEMPOTENCY_TABLE', IDEMPOTENCY_TABLE);
  vi.stubEnv('ORDER_EVENTS_TOPIC_ARN', ORDER_EVENTS_TOPIC_ARN);
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', '');
  vi.stubEnv('AWS_ENDPOINT_URL_SNS', '');
  vi.stubEnv('AWS_ENDPOINT_URL_IOT_DATA_PLANE', IOT_DATA_ENDPOINT);
  ({ handler } = (await import('../../functions/record-scan.js')) as { handler: RecordScanHandler });
});

beforeEach(() => {
  world.reset();
  iotData.reset();
  iotData.on(IotPublishCommand).resolves({});
  clearMetrics();
});

afterAll(() => {
  world.restore();
  iotData.restore();
});

describe('recordScan (IoT rule WarehouseScansRule → a scan of warehouse/{siteId}/scans)', () => {
  it('ships a FULFILLED order: one conditional write, OrderShipped published with the scan, ScansApplied counted', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'FULFILLED');

    // Act
    const outcome = await recordScan(scanEvent());

    // Assess
    expect(outcome).toEqual({ kind: 'applied', orderId: ORDER_ID, status: 'SHIPPED' });
    expect(world.orders.get(ORDERS_TABLE, { orderId: ORDER_ID })).toMatchObject({
      status: 'SHIPPED',
      version: 4,
    });
    expect(world.timeline()).toEqual(['orders.Get', 'orders.Put', 'sns.Publish', 'orders.Update']);
    expect(world.documentClient).toHaveReceivedCommandWith(PutCommand, {
      TableName: ORDERS_TABLE,
      ConditionExpression: '#version = :expectedVersion',
      ExpressionAttributeValues: expect.objectContaining({ ':expectedVersion': 3 }),
    });
    expect(world.sns).toHaveReceivedCommandTimes(SnsPublishCommand, 1);
    expect(world.sns).toHaveReceivedCommandWith(
      SnsPublishCommand,
      orderEventPublish(ORDER_ID, 4, 'OrderShipped'),
    );
    expect(world.publishedEvents()).toEqual([
      expect.objectContaining({
        type: 'OrderShipped',
        orderId: ORDER_ID,
        seq: 4,
        data: {
          scanId: 'scan-ship-1',
          scannedAt: '2026-05-02T08:15:00Z',
          siteId: SITE_ID,
          carrier: 'DHL',
          trackingNo: 'JD0146',
        },
      }),
    ]);
    expect(iotData.commandCalls(IotPublishCommand)).toEqual([]);
    expect(scanCounts()).toEqual({ ScansApplied: 1, ScansRepeated: 0, ScansRefused: 0 });
  });

  it('answers the same scan sent again as a repeat: nothing written or published, ScansRepeated counted', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'FULFILLED');
    await recordScan(scanEvent());
    const shipped = world.orders.get(ORDERS_TABLE, { orderId: ORDER_ID });
    world.documentClient.resetHistory();
    clearMetrics();

    // Act
    const outcome = await recordScan(scanEvent({ receivedAt: 1_777_709_760_000 }));

    // Assess
    expect(outcome).toEqual({ kind: 'duplicate', orderId: ORDER_ID, status: 'SHIPPED' });
    expect(world.orders.get(ORDERS_TABLE, { orderId: ORDER_ID })).toEqual(shipped);
    expect(world.documentClient.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetCommand']);
    expect(world.sns).toHaveReceivedCommandTimes(SnsPublishCommand, 1);
    expect(scanCounts()).toEqual({ ScansApplied: 0, ScansRepeated: 1, ScansRefused: 0 });
  });

  it('refuses a scan of an unknown order through IoT Publish to the site’s rejected topic, ScansRefused counted', async () => {
    // Act
    const outcome = await recordScan(scanEvent());

    // Assess
    expect(outcome).toEqual({ kind: 'refused', reason: 'unknown order' });
    expect(iotPublishes(iotData)).toEqual([
      {
        topic: REJECTED_TOPIC,
        qos: 1,
        payload: { scanId: 'scan-ship-1', orderId: ORDER_ID, reason: 'unknown order' },
      },
    ]);
    expect(world.sns).toHaveReceivedCommandTimes(SnsPublishCommand, 0);
    expect(scanCounts()).toEqual({ ScansApplied: 0, ScansRepeated: 0, ScansRefused: 1 });
  });

  it('refuses a scan of a cancelled order, telling the site why', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'CANCELLED');

    // Act
    const outcome = await recordScan(scanEvent());

    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/is CANCELLED/) });
    expect(iotPublishes(iotData)).toEqual([
      {
        topic: REJECTED_TOPIC,
        qos: 1,
        payload: { scanId: 'scan-ship-1', orderId: ORDER_ID, reason: expect.stringMatching(/is CANCELLED/) },
      },
    ]);
    expect(world.orders.get(ORDERS_TABLE, { orderId: ORDER_ID })).toMatchObject({ status: 'CANCELLED' });
  });

  it('refuses a malformed scan without reading the order, naming the bad field', async () => {
    // Act
    const outcome = await recordScan(scanEvent({ at: 'yesterday' }));

    // Assess
    expect(outcome).toEqual({
      kind: 'refused',
      reason: 'not a scan: at must be an ISO 8601 date and time, e.g. 2026-05-01T10:00:00Z',
    });
    expect(iotPublishes(iotData)).toEqual([
      {
        topic: REJECTED_TOPIC,
        qos: 1,
        payload: expect.objectContaining({
          scanId: 'scan-ship-1',
          reason: expect.stringMatching(/^not a scan: at /),
        }),
      },
    ]);
    expect(world.documentClient.calls()).toEqual([]);
    expect(scanCounts()).toEqual({ ScansApplied: 0, ScansRepeated: 0, ScansRefused: 1 });
  });

  it('throws ScanTooEarlyError for a delivered scan before the shipped one, for Lambda to retry', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'FULFILLED');

    // Act
    const recording = recordScan(scanEvent({ scanId: 'scan-deliver-1', kind: 'delivered' }));

    // Assess
    await expect(recording).rejects.toBeInstanceOf(ScanTooEarlyError);
    await expect(recording).rejects.toMatchObject({ retryable: true, orderId: ORDER_ID });
    expect(iotData.commandCalls(IotPublishCommand)).toEqual([]);
    expect(world.sns).toHaveReceivedCommandTimes(SnsPublishCommand, 0);
    expect(world.orders.get(ORDERS_TABLE, { orderId: ORDER_ID })).toMatchObject({ status: 'FULFILLED' });
  });

  it('throws when DynamoDB throttles, so that Lambda retries the scan', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'FULFILLED');
    world.documentClient.on(GetCommand).rejects(dynamoDbThrottling('ThrottlingException'));

    // Act
    const recording = recordScan(scanEvent());

    // Assess
    await expect(recording).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(iotData.commandCalls(IotPublishCommand)).toEqual([]);
    expect(world.sns).toHaveReceivedCommandTimes(SnsPublishCommand, 0);
  });

  it('throws when IoT Core throttles the refusal, so that Lambda retries it', async () => {
    // Prepare
    iotData
      .on(IotPublishCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    // Act
    const recording = recordScan(scanEvent());

    // Assess
    await expect(recording).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(iotData).toHaveReceivedCommandTimes(IotPublishCommand, 1);
  });
});
