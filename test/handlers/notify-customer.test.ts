import type { Logger } from '@aws-lambda-powertools/logger';
import type { PublishCommandInput } from '@aws-sdk/client-iot-data-plane';
import { IoTDataPlaneClient, PublishCommand, ThrottlingException } from '@aws-sdk/client-iot-data-plane';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { MockInstance } from 'vitest';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { lambdaContext } from '../support/api-event.js';
import { failures, NO_FAILURES } from '../support/batch-response.js';
import {
  failedStreamRecordLog,
  RECORD_FAILED,
  retriedInShard,
  type WarnSpy,
} from '../support/failure-log.js';
import {
  ACTIVITY_ORDER_ID,
  activityRecord,
  activityRecords,
  type KinesisHandler,
  kinesisEvent,
  kinesisRecord,
  kinesisSequenceNumber,
} from '../support/kinesis-event.js';
import { kinesisSample } from '../support/sample-events.js';
import { iotPublishes } from '../support/sdk-calls.js';

/** What a fresh container of notifyCustomer holds: its handler and the logger it logs with. */
interface Container {
  handler: KinesisHandler;
  logError: MockInstance<Logger['error']>;
  logWarn: WarnSpy;
}

/** The account's IoT data endpoint (`iot:Data-ATS`), as a deploy gives it. */
const IOT_DATA_ENDPOINT = 'https://abc123-ats.iot.eu-west-1.amazonaws.com';
const LOCAL_IOT_ENDPOINT = 'http://127.0.0.1:4566';
const ORDER_B = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';

const PLACED = activityRecord({ status: 'PLACED' });
const PAID = activityRecord({ status: 'PAID' });
const FULFILLED = activityRecord({ status: 'FULFILLED' });
const SHIPPED = activityRecord({ status: 'SHIPPED' });
const DELIVERED = activityRecord({ status: 'DELIVERED' });
const STATUS_TOPIC = `orders/cust_42/${ACTIVITY_ORDER_ID}/status`;
const OTHER_PLACED = activityRecord({ status: 'PLACED', orderId: ORDER_B });
const OTHER_PAID = activityRecord({ status: 'PAID', orderId: ORDER_B });

const iotData = mockClient(IoTDataPlaneClient);

/**
 * Imports notifyCustomer into a fresh module graph (a new container, cold start) with the IoT data-plane endpoint
 * configured or not, and spies on the `error` and `warn` of the logger that graph built.
 */
async function coldStart(endpoint: string | undefined): Promise<Container> {
  vi.resetModules();
  vi.stubEnv('AWS_ENDPOINT_URL', undefined);
  vi.stubEnv('AWS_ENDPOINT_URL_IOT_DATA_PLANE', endpoint);
  const { handler } = await import('../../functions/notify-customer.js');
  const { logger } = await import('../../shared/observability.js');
  return { handler, logError: vi.spyOn(logger, 'error'), logWarn: vi.spyOn(logger, 'warn') };
}

function invoke(container: Container, event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  return container.handler(event, lambdaContext({ functionName: 'orderflow-test-notifyCustomer' }));
}

/** IoT Core throttles the publish of this status change (every time), and takes every other. */
function throttlePublishOf(activity: ActivityRecord): void {
  iotData.on(PublishCommand).callsFake(async (input: PublishCommandInput) => {
    const { orderId, seq } = JSON.parse(Buffer.from(input.payload as Uint8Array).toString('utf8')) as {
      orderId: string;
      seq: number;
    };
    if (orderId === activity.orderId && seq === activity.seq) {
      throw new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
    }
    return {};
  });
}

/** The message a status change makes on its status topic. */
function statusMessage({ orderId, status, seq, occurredAt }: ActivityRecord) {
  return { orderId, status, seq, occurredAt };
}

/** The data-plane clients that sent the PublishCommands, and the endpoint each one targets. */
async function publishingClients(): Promise<{ clients: Set<unknown>; endpoints: string[] }> {
  const clients = new Set<unknown>(iotData.commandCalls(PublishCommand).map((call) => call.thisValue));
  const endpoints: string[] = [];
  for (const client of clients) {
    if (!(client instanceof IoTDataPlaneClient)) throw new Error('A PublishCommand came from another client');
    const endpoint = await client.config.endpoint?.();
    endpoints.push(
      `${endpoint?.protocol}//${endpoint?.hostname}${endpoint?.port ? `:${endpoint.port}` : ''}`,
    );
  }
  return { clients, endpoints };
}

beforeEach(() => {
  iotData.reset();
  iotData.on(PublishCommand).resolves({});
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.unstubAllEnvs();
  iotData.restore();
});

describe('notifyCustomer (order-activity → orders/{customerId}/{orderId}/status)', () => {
  it('publishes each status change as { orderId, status, seq, occurredAt } to its status topic with QoS 1', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const records = activityRecords([PLACED, PAID, FULFILLED]);

    // Act
    const response = await invoke(container, kinesisEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotData.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      { topic: STATUS_TOPIC, qos: 1, payload: expect.any(Uint8Array) },
      { topic: STATUS_TOPIC, qos: 1, payload: expect.any(Uint8Array) },
      { topic: STATUS_TOPIC, qos: 1, payload: expect.any(Uint8Array) },
    ]);
    expect(iotPublishes(iotData)).toEqual([
      { topic: STATUS_TOPIC, qos: 1, payload: statusMessage(PLACED) },
      { topic: STATUS_TOPIC, qos: 1, payload: statusMessage(PAID) },
      { topic: STATUS_TOPIC, qos: 1, payload: statusMessage(FULFILLED) },
    ]);
    expect(iotPublishes(iotData)[1]?.payload).toEqual({
      orderId: ACTIVITY_ORDER_ID,
      status: 'PAID',
      seq: 2,
      occurredAt: '2024-05-01T10:00:20.000Z',
    });
  });

  it('passes the correlation id of a status change on in its message', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const records = activityRecords([{ ...PAID, correlationId: 'demo-1' }]);

    // Act
    const response = await invoke(container, kinesisEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotPublishes(iotData)).toEqual([
      { topic: STATUS_TOPIC, qos: 1, payload: { ...statusMessage(PAID), correlationId: 'demo-1' } },
    ]);
  });

  describe('the IoT data-plane endpoint', () => {
    it('builds one client per container, at the endpoint the deploy names, and publishes there', async () => {
      // Prepare
      const container = await coldStart(IOT_DATA_ENDPOINT);
      const [placed, paid, fulfilled] = activityRecords([PLACED, PAID, FULFILLED]);
      if (placed === undefined || paid === undefined || fulfilled === undefined)
        throw new Error('No records');

      // Act
      const responses = [
        await invoke(container, kinesisEvent([placed])),
        await invoke(container, kinesisEvent([paid])),
        await invoke(container, kinesisEvent([fulfilled])),
      ];

      // Assess
      expect(responses).toEqual([NO_FAILURES, NO_FAILURES, NO_FAILURES]);
      expect(iotData).toHaveReceivedCommandTimes(PublishCommand, 3);
      const { clients, endpoints } = await publishingClients();
      expect(clients.size).toBe(1);
      expect(endpoints).toEqual([IOT_DATA_ENDPOINT]);
    });

    it("publishes to the local cloud's endpoint when AWS_ENDPOINT_URL_IOT_DATA_PLANE names it", async () => {
      // Prepare
      const container = await coldStart(LOCAL_IOT_ENDPOINT);

      // Act
      for (const record of activityRecords([PLACED, PAID, FULFILLED]))
        await invoke(container, kinesisEvent([record]));

      // Assess
      expect(iotData).toHaveReceivedCommandTimes(PublishCommand, 3);
      const { clients, endpoints } = await publishingClients();
      expect(clients.size).toBe(1);
      expect(endpoints).toEqual([LOCAL_IOT_ENDPOINT]);
    });

    it("without an endpoint, publishes nothing (never to the SDK's default host) and reports the record", async () => {
      // Prepare
      const container = await coldStart(undefined);
      const [placed] = activityRecords([PLACED]);
      if (placed === undefined) throw new Error('No record');

      // Act
      const response = await invoke(container, kinesisEvent([placed]));

      // Assess: the reason names the missing variable.
      expect(response).toEqual(failures(placed));
      expect(iotData).not.toHaveReceivedAnyCommand();
      expect(JSON.stringify(container.logWarn.mock.calls)).toContain(
        'AWS_ENDPOINT_URL_IOT_DATA_PLANE is not set',
      );
    });
  });

  it.each([
    ['a customerId with a slash', { customerId: 'a/b' }, "customerId 'a/b'"],
    ['a customerId that is a single-level wildcard', { customerId: '+' }, "customerId '+'"],
    ['a customerId that is a multi-level wildcard', { customerId: '#' }, "customerId '#'"],
    ['an empty customerId', { customerId: '' }, "customerId ''"],
    ['an orderId with a wildcard', { orderId: 'order-#' }, "orderId 'order-#'"],
  ])('refuses and logs %s, publishes nothing for it and goes on with the batch', async (_, ids, named) => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const refused = activityRecord({ orderId: ORDER_B, ...ids });
    const records = activityRecords([refused, PAID]);

    // Act
    const response = await invoke(container, kinesisEvent(records));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotPublishes(iotData)).toEqual([{ topic: STATUS_TOPIC, qos: 1, payload: statusMessage(PAID) }]);
    expect(container.logError).toHaveBeenCalledTimes(1);
    expect(container.logError).toHaveBeenCalledWith('Not published: the topic would be invalid', {
      orderId: refused.orderId,
      eventId: refused.eventId,
      reason: expect.stringContaining(named),
    });
  });

  it('reports the record whose publish IoT Core throttled and the rest of its order, and publishes the other orders', async () => {
    // Prepare: order A's PAID is throttled; its FULFILLED must not overtake it, order B goes on.
    throttlePublishOf(PAID);
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const [placed, paid, otherPlaced, fulfilled] = activityRecords([PLACED, PAID, OTHER_PLACED, FULFILLED]);
    if (placed === undefined || paid === undefined || otherPlaced === undefined || fulfilled === undefined)
      throw new Error('No records');

    // Act
    const response = await invoke(container, kinesisEvent([placed, paid, otherPlaced, fulfilled]));

    // Assess
    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: kinesisSequenceNumber(2) },
        { itemIdentifier: kinesisSequenceNumber(4) },
      ],
    });
    expect(response).toEqual(failures(paid, fulfilled));
    expect(iotPublishes(iotData).map(({ payload }) => payload)).toEqual(
      expect.arrayContaining([statusMessage(PLACED), statusMessage(PAID), statusMessage(OTHER_PLACED)]),
    );
    expect(iotPublishes(iotData).map(({ payload }) => payload)).not.toContainEqual(statusMessage(FULFILLED));
  });

  it('publishes different orders at once, and the statuses of one order one after another in shard order', async () => {
    // Prepare: each publish takes a moment, so overlapping publishes can be seen.
    const running = new Map<string, number>();
    let mostOrdersAtOnce = 0;
    let mostOfOneOrderAtOnce = 0;
    iotData.on(PublishCommand).callsFake(async (input: PublishCommandInput) => {
      const { orderId } = JSON.parse(Buffer.from(input.payload as Uint8Array).toString('utf8')) as {
        orderId: string;
      };
      running.set(orderId, (running.get(orderId) ?? 0) + 1);
      mostOrdersAtOnce = Math.max(mostOrdersAtOnce, running.size);
      mostOfOneOrderAtOnce = Math.max(mostOfOneOrderAtOnce, ...running.values());
      await new Promise((resolve) => setTimeout(resolve, 10));
      const left = (running.get(orderId) ?? 1) - 1;
      if (left === 0) running.delete(orderId);
      else running.set(orderId, left);
      return {};
    });
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const activities = [PLACED, OTHER_PLACED, PAID, OTHER_PAID, FULFILLED];

    // Act
    const response = await invoke(container, kinesisEvent(activityRecords(activities)));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(mostOrdersAtOnce).toBe(2);
    expect(mostOfOneOrderAtOnce).toBe(1);
    const payloads = iotPublishes(iotData).map(({ payload }) => payload as { orderId: string; seq: number });
    expect(payloads.filter(({ orderId }) => orderId === ACTIVITY_ORDER_ID).map(({ seq }) => seq)).toEqual([
      1, 2, 3,
    ]);
    expect(payloads.filter(({ orderId }) => orderId === ORDER_B).map(({ seq }) => seq)).toEqual([1, 2]);
  });

  it('reports a record that is not an activity record with its sequence number, and publishes the others', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const malformed = kinesisRecord({ rawData: 'not json', sequenceNumber: kinesisSequenceNumber(2) });
    const [placed] = activityRecords([PLACED], 1);
    if (placed === undefined) throw new Error('No record');

    // Act
    const response = await invoke(container, kinesisEvent([placed, malformed]));

    // Assess
    expect(response).toEqual(failures(malformed));
    expect(iotPublishes(iotData)).toEqual([{ topic: STATUS_TOPIC, qos: 1, payload: statusMessage(PLACED) }]);
  });

  describe('each failed record logged once at WARN with its order, seq, event and why', () => {
    it('logs the record whose publish IoT Core throttled, and the record of its order held back behind it', async () => {
      // Prepare
      throttlePublishOf(PAID);
      const container = await coldStart(IOT_DATA_ENDPOINT);
      const [placed, paid, fulfilled] = activityRecords([PLACED, PAID, FULFILLED]);
      if (placed === undefined || paid === undefined || fulfilled === undefined)
        throw new Error('No records');

      // Act
      const response = await invoke(container, kinesisEvent([placed, paid, fulfilled]));

      // Assess
      expect(response).toEqual(failures(paid, fulfilled));
      expect(container.logWarn.mock.calls).toEqual([
        failedStreamRecordLog(
          paid,
          PAID,
          `DependencyUnavailableError: IoT data plane at ${IOT_DATA_ENDPOINT} is unavailable right now; retry the ` +
            'same request. — caused by ThrottlingException: Rate exceeded',
        ),
        failedStreamRecordLog(
          fulfilled,
          FULFILLED,
          `PredecessorFailedError: skipped: an earlier record of order '${ACTIVITY_ORDER_ID}' failed in this batch`,
        ),
      ]);
    });

    it('logs a record that is not an activity record by its sequence number, saying it could not be parsed', async () => {
      // Prepare
      const container = await coldStart(IOT_DATA_ENDPOINT);
      const malformed = kinesisRecord({ rawData: 'not json', sequenceNumber: kinesisSequenceNumber(2) });
      const [placed] = activityRecords([PLACED], 1);
      if (placed === undefined) throw new Error('No record');

      // Act
      const response = await invoke(container, kinesisEvent([placed, malformed]));

      // Assess
      expect(response).toEqual(failures(malformed));
      expect(container.logWarn.mock.calls).toEqual([
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

  it('publishes SHIPPED and DELIVERED like every status, in the order they happened', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);

    // Act
    const response = await invoke(
      container,
      kinesisEvent(activityRecords([FULFILLED, SHIPPED, DELIVERED], 3)),
    );

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotPublishes(iotData)).toEqual([
      { topic: STATUS_TOPIC, qos: 1, payload: statusMessage(FULFILLED) },
      {
        topic: STATUS_TOPIC,
        qos: 1,
        payload: { orderId: ACTIVITY_ORDER_ID, status: 'SHIPPED', seq: 4, occurredAt: SHIPPED.occurredAt },
      },
      {
        topic: STATUS_TOPIC,
        qos: 1,
        payload: {
          orderId: ACTIVITY_ORDER_ID,
          status: 'DELIVERED',
          seq: 5,
          occurredAt: DELIVERED.occurredAt,
        },
      },
    ]);
  });

  it('holds DELIVERED back while the SHIPPED before it is throttled, and reports both', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    throttlePublishOf(SHIPPED);
    const [shipped, delivered] = activityRecords([SHIPPED, DELIVERED], 4);
    if (shipped === undefined || delivered === undefined) throw new Error('No records');

    // Act
    const response = await invoke(container, kinesisEvent([shipped, delivered]));

    // Assess
    expect(response).toEqual(failures(shipped, delivered));
    expect(iotPublishes(iotData).map(({ payload }) => payload)).not.toContainEqual(statusMessage(DELIVERED));
  });

  it('publishes the sample event of events/notify-customer-shipped.json: the order shipped, then delivered', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const event = kinesisSample('notify-customer-shipped.json');

    // Act
    const response = await invoke(container, event);

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotPublishes(iotData)).toEqual([
      {
        topic: STATUS_TOPIC,
        qos: 1,
        payload: {
          orderId: ACTIVITY_ORDER_ID,
          status: 'SHIPPED',
          seq: 4,
          occurredAt: '2024-05-01T10:01:40.000Z',
        },
      },
      {
        topic: STATUS_TOPIC,
        qos: 1,
        payload: {
          orderId: ACTIVITY_ORDER_ID,
          status: 'DELIVERED',
          seq: 5,
          occurredAt: '2024-05-01T10:02:30.000Z',
        },
      },
    ]);
  });

  it('publishes the sample event of events/notify-customer.json', async () => {
    // Prepare
    const container = await coldStart(IOT_DATA_ENDPOINT);
    const event = kinesisSample('notify-customer.json');

    // Act
    const response = await invoke(container, event);

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(iotPublishes(iotData)).toEqual([
      { topic: STATUS_TOPIC, qos: 1, payload: statusMessage(PLACED) },
      { topic: STATUS_TOPIC, qos: 1, payload: statusMessage(PAID) },
      {
        topic: STATUS_TOPIC,
        qos: 1,
        payload: { ...statusMessage(FULFILLED), occurredAt: '2024-05-01T10:01:10.000Z' },
      },
    ]);
  });
});
