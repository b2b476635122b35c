import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, type GetCommandInput } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import type { LegacyOrderLink } from '../../shared/core/legacy-status.js';
import { lambdaContext } from '../support/api-event.js';
import { failures, NO_FAILURES } from '../support/batch-response.js';
import { clearMetrics, metricTotal } from '../support/emf.js';
import { failedStreamRecordLog, type WarnSpy } from '../support/failure-log.js';
import type { PublishedMessage } from '../support/fake-broker.js';
import { FakeTable } from '../support/fake-dynamodb.js';
import {
  ACTIVITY_ORDER_ID,
  activityRecord,
  activityRecords,
  type KinesisHandler,
  kinesisEvent,
} from '../support/kinesis-event.js';
import { dynamoDbThrottling } from '../support/order-world.js';
import { kinesisSample } from '../support/sample-events.js';

/** The broker behind `amqplib`: what the function published, what it nacked, the URLs it connected with. */
const broker = await vi.hoisted(async () => new (await import('../support/fake-broker.js')).FakeBroker());
vi.mock('amqplib', () => ({ connect: (url: string) => broker.connect(url) }));

const LEGACY_BROKER_ENDPOINT = 'amqps://b-0a1b2c3d.mq.us-east-1.amazonaws.com:5671';
const LEGACY_BROKER_SECRET_ID =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:orderflow-test-legacy-broker-AbCdEf';
const LEGACY_ORDERS_TABLE = 'orderflow-test-legacy-orders';
const BROKER_URL = 'amqps://orderflow:p%40ss@b-0a1b2c3d.mq.us-east-1.amazonaws.com:5671';

/** Two orders of ERP accounts (each linked to its ERP order) and one order placed over HTTP. */
const ORDER_B = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';
const HTTP_ORDER = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const LINK_A: LegacyOrderLink = { orderId: ACTIVITY_ORDER_ID, account: 'ACME-01', erpOrderNo: 'PO-1' };
const LINK_B: LegacyOrderLink = { orderId: ORDER_B, account: 'BETA-7', erpOrderNo: 'SO-77' };

const A_PLACED = activityRecord({ status: 'PLACED', customerId: 'erp-ACME-01', correlationId: 'erp-run-42' });
const A_PAID = activityRecord({ status: 'PAID', customerId: 'erp-ACME-01' });
const A_FULFILLED = activityRecord({ status: 'FULFILLED', customerId: 'erp-ACME-01' });
const B_PLACED = activityRecord({ status: 'PLACED', orderId: ORDER_B, customerId: 'erp-BETA-7' });
const B_CANCELLED = activityRecord({ status: 'CANCELLED', orderId: ORDER_B, customerId: 'erp-BETA-7' });
const HTTP_PLACED = activityRecord({ status: 'PLACED', orderId: HTTP_ORDER });
const HTTP_PAID = activityRecord({ status: 'PAID', orderId: HTTP_ORDER });

/** A batch of the three orders, interleaved as a shard holds them. */
const MIXED = [A_PLACED, B_PLACED, HTTP_PLACED, A_PAID, HTTP_PAID, B_CANCELLED, A_FULFILLED];

const documentClient = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
const links = new FakeTable(LEGACY_ORDERS_TABLE, 'orderId');

/** What a fresh execution environment of publishLegacyStatus holds: its handler and its logger's `warn`. */
interface Container {
  handler: KinesisHandler;
  logWarn: WarnSpy;
}

/** Imports publishLegacyStatus into a fresh module graph (a new environment, cold start) with its configuration. */
async function coldStart(): Promise<Container> {
  vi.resetModules();
  vi.stubEnv('LEGACY_BROKER_ENDPOINT', LEGACY_BROKER_ENDPOINT);
  vi.stubEnv('LEGACY_BROKER_SECRET_ID', LEGACY_BROKER_SECRET_ID);
  vi.stubEnv('LEGACY_ORDERS_TABLE', LEGACY_ORDERS_TABLE);
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', '');
  const { handler } = await import('../../functions/publish-legacy-status.js');
  const { logger } = await import('../../shared/observability.js');
  return { handler, logWarn: vi.spyOn(logger, 'warn') };
}

function invoke(container: Container, event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
  return container.handler(event, lambdaContext({ functionName: 'orderflow-test-publishLegacyStatus' }));
}

/** The records of `activities`, numbered in the shard from 1. */
function shard(activities: readonly ActivityRecord[]): KinesisStreamRecord[] {
  return activityRecords(activities);
}

/** The record of `activity` among `records`. */
function recordOf(records: readonly KinesisStreamRecord[], activity: ActivityRecord): KinesisStreamRecord {
  const record = records[MIXED.indexOf(activity)];
  if (record === undefined) throw new Error(`No record of ${activity.orderId} seq ${activity.seq}`);
  return record;
}

/** The message the ERP gets for a status change of a linked order, as the broker received it. */
function statusMessage(activity: ActivityRecord, link: LegacyOrderLink): PublishedMessage {
  const { orderId, status, previousStatus, seq, occurredAt, correlationId } = activity;
  const messageId = `${orderId}:${seq}`;
  return {
    exchange: 'orderflow.status',
    routingKey: `erp.${link.account}`,
    body: JSON.stringify({
      erpOrderNo: link.erpOrderNo,
      orderId,
      status,
      previousStatus,
      seq,
      occurredAt,
      total: 4498,
      currency: 'EUR',
      ...(correlationId === undefined ? {} : { correlationId }),
    }),
    options: {
      persistent: true,
      contentType: 'application/json',
      messageId,
      type: 'OrderStatusChanged',
      timestamp: Date.parse(occurredAt) / 1000,
      ...(correlationId === undefined ? {} : { correlationId }),
    },
  };
}

/** The orders whose link was looked up, in order. */
const lookedUp = () =>
  documentClient.commandCalls(GetCommand).map(({ args }) => String(args[0].input.Key?.orderId));

beforeEach(() => {
  broker.reset();
  links.clear();
  links.seed({ ...LINK_A });
  links.seed({ ...LINK_B });
  documentClient.reset();
  documentClient.on(GetCommand).callsFake((input: GetCommandInput) => {
    const Item = links.get(input.TableName, input.Key);
    return Item === undefined ? {} : { Item };
  });
  secrets.reset();
  secrets
    .on(GetSecretValueCommand)
    .resolves({ SecretString: JSON.stringify({ username: 'orderflow', password: 'p@ss' }) });
  clearMetrics();
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.unstubAllEnvs();
  documentClient.restore();
  secrets.restore();
});

describe('publishLegacyStatus (order-activity → orderflow.status)', () => {
  it('publishes exactly the statuses of the ERP orders, each to erp.<account> as <orderId>:<seq>, in seq order per order', async () => {
    // Prepare
    const container = await coldStart();

    // Act
    const response = await invoke(container, kinesisEvent(shard(MIXED)));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    const of = (orderId: string) => broker.published.filter(({ body }) => body.includes(orderId));
    expect(of(ACTIVITY_ORDER_ID)).toEqual([
      statusMessage(A_PLACED, LINK_A),
      statusMessage(A_PAID, LINK_A),
      statusMessage(A_FULFILLED, LINK_A),
    ]);
    expect(of(ORDER_B)).toEqual([statusMessage(B_PLACED, LINK_B), statusMessage(B_CANCELLED, LINK_B)]);
    expect(broker.published).toHaveLength(5);
    expect(metricTotal('LegacyStatusesPublished', { consumer: 'publishLegacyStatus' })).toBe(5);
  });

  it('looks up no link for an order of a customer that is no ERP account', async () => {
    // Prepare
    const container = await coldStart();

    // Act
    await invoke(container, kinesisEvent(shard(MIXED)));

    // Assess
    expect(lookedUp()).not.toContain(HTTP_ORDER);
    expect(documentClient).toHaveReceivedCommandWith(GetCommand, {
      TableName: LEGACY_ORDERS_TABLE,
      Key: { orderId: ACTIVITY_ORDER_ID },
      ConsistentRead: true,
    });
  });

  it('publishes different orders at once, and the statuses of one order only after the previous one is confirmed', async () => {
    // Prepare
    const container = await coldStart();

    // Act
    const response = await invoke(container, kinesisEvent(shard(MIXED)));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    const orderOf = ({ options }: PublishedMessage) => String(options.messageId).split(':')[0];
    const ordersInFlight = broker.inFlightAtEachPublish.map(
      (inFlight) => new Set(inFlight.map(orderOf)).size,
    );
    const mostOfOneOrder = broker.inFlightAtEachPublish.map((inFlight) => {
      const orders = inFlight.map(orderOf);
      return Math.max(...orders.map((orderId) => orders.filter((other) => other === orderId).length));
    });
    expect(Math.max(...ordersInFlight)).toBe(2);
    expect(Math.max(...mostOfOneOrder)).toBe(1);
  });

  it('skips the status of an erp- customer whose order has no link, and goes on with the batch', async () => {
    // Prepare
    const container = await coldStart();
    const unlinked = activityRecord({ orderId: HTTP_ORDER, customerId: 'erp-HTTP-LOOKALIKE' });

    // Act
    const response = await invoke(container, kinesisEvent(shard([unlinked, A_PLACED])));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(lookedUp()).toEqual([HTTP_ORDER, ACTIVITY_ORDER_ID]);
    expect(broker.published).toEqual([statusMessage(A_PLACED, LINK_A)]);
  });

  describe('a status the broker did not take comes back, never dropped', () => {
    it('reports the record the broker nacked and the later records of its order, and publishes the other orders', async () => {
      // Prepare
      const container = await coldStart();
      broker.nacks = ({ options }) => options.messageId === `${ACTIVITY_ORDER_ID}:2`;
      const records = shard(MIXED);

      // Act
      const response = await invoke(container, kinesisEvent(records));

      // Assess
      expect(response).toEqual(failures(recordOf(records, A_PAID), recordOf(records, A_FULFILLED)));
      expect(broker.nacked).toEqual([statusMessage(A_PAID, LINK_A)]);
      expect(broker.published).toEqual(
        expect.arrayContaining([
          statusMessage(A_PLACED, LINK_A),
          statusMessage(B_PLACED, LINK_B),
          statusMessage(B_CANCELLED, LINK_B),
        ]),
      );
      expect(broker.published).toHaveLength(3);
      expect(metricTotal('LegacyStatusesPublished')).toBe(3);
      expect(container.logWarn.mock.calls).toEqual([
        failedStreamRecordLog(
          recordOf(records, A_PAID),
          A_PAID,
          'DependencyUnavailableError: the legacy broker (AMQP) is unavailable right now; retry the same ' +
            'request. — caused by Error: message nacked',
        ),
        failedStreamRecordLog(
          recordOf(records, A_FULFILLED),
          A_FULFILLED,
          `PredecessorFailedError: skipped: an earlier record of order '${ACTIVITY_ORDER_ID}' failed in this batch`,
        ),
      ]);
    });

    it('reports every ERP record when the broker cannot be reached, and publishes them once it is back', async () => {
      // Prepare
      const container = await coldStart();
      broker.down = true;
      const records = shard(MIXED);
      const erpRecords = MIXED.filter((activity) => activity.orderId !== HTTP_ORDER).map((activity) =>
        recordOf(records, activity),
      );

      // Act
      const whileDown = await invoke(container, kinesisEvent(records));
      broker.down = false;
      const onceBack = await invoke(container, kinesisEvent(erpRecords));

      // Assess
      expect(whileDown).toEqual(failures(...erpRecords));
      expect(onceBack).toEqual(NO_FAILURES);
      expect(broker.published).toHaveLength(5);
      expect(JSON.stringify(container.logWarn.mock.calls)).toContain(
        'the legacy broker (AMQP) is unavailable right now',
      );
    });

    it('reports the record whose link could not be read (DynamoDB throttled), and the later records of its order', async () => {
      // Prepare
      const container = await coldStart();
      documentClient
        .on(GetCommand, { Key: { orderId: ORDER_B } })
        .rejects(dynamoDbThrottling('ProvisionedThroughputExceededException'));
      const records = shard(MIXED);

      // Act
      const response = await invoke(container, kinesisEvent(records));

      // Assess
      expect(response).toEqual(failures(recordOf(records, B_PLACED), recordOf(records, B_CANCELLED)));
      expect(broker.published.filter(({ body }) => body.includes(ORDER_B))).toEqual([]);
      expect(broker.published).toHaveLength(3);
    });
  });

  describe('the broker and its user', () => {
    it('reads the secret once per environment, and connects as its user to LEGACY_BROKER_ENDPOINT', async () => {
      // Prepare
      const container = await coldStart();

      // Act
      for (const activity of [A_PLACED, A_PAID, A_FULFILLED]) {
        expect(await invoke(container, kinesisEvent(activityRecords([activity], activity.seq)))).toEqual(
          NO_FAILURES,
        );
      }

      // Assess
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
      expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
        SecretId: LEGACY_BROKER_SECRET_ID,
      });
      expect(broker.connections).toEqual([BROKER_URL]);
      expect(broker.published).toHaveLength(3);
    });

    it('neither reads the secret nor connects for a batch without a status of an ERP order', async () => {
      // Prepare
      const container = await coldStart();

      // Act
      const response = await invoke(container, kinesisEvent(shard([HTTP_PLACED, HTTP_PAID])));

      // Assess
      expect(response).toEqual(NO_FAILURES);
      expect(secrets).not.toHaveReceivedAnyCommand();
      expect(broker.connections).toEqual([]);
    });
  });

  it('publishes the statuses of events/publish-legacy-status.json (the order of events/import-legacy-order.json)', async () => {
    // Prepare
    const orderId = '89643a21-5838-8e3f-8e14-6cae9e177382';
    links.seed({ orderId, account: 'ACME-01', erpOrderNo: 'PO-2026-000123' });
    const container = await coldStart();

    // Act
    const response = await invoke(container, kinesisSample('publish-legacy-status.json'));

    // Assess
    expect(response).toEqual(NO_FAILURES);
    expect(
      broker.published.map(({ routingKey, options, body }) => [
        routingKey,
        options.messageId,
        JSON.parse(body),
      ]),
    ).toEqual([
      [
        'erp.ACME-01',
        `${orderId}:1`,
        {
          erpOrderNo: 'PO-2026-000123',
          orderId,
          status: 'PLACED',
          previousStatus: null,
          seq: 1,
          occurredAt: '2026-12-03T08:40:01.000Z',
          total: 4498,
          currency: 'EUR',
          correlationId: 'erp-run-42',
        },
      ],
      ['erp.ACME-01', `${orderId}:2`, expect.objectContaining({ status: 'PAID', seq: 2 })],
    ]);
  });
});
