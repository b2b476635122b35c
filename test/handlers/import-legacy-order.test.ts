import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand } from '@aws-sdk/client-sns';
import { PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { REJECTION_REASON_HEADER } from '../../shared/adapters/legacy-rejections.js';
import type { RabbitMqEvent, RabbitMqMessage } from '../../shared/queue/rabbitmq-event.js';
import { lambdaContext } from '../support/api-event.js';
import { conditionOf, FakeTable } from '../support/fake-dynamodb.js';
import {
  dynamoDbThrottling,
  IDEMPOTENCY_TABLE,
  ORDER_EVENTS_TOPIC_ARN,
  ORDERS_TABLE,
  OrderWorld,
  snsThrottling,
} from '../support/order-world.js';

/** The broker behind `amqplib`: what the function published (rejections), and the URLs it connected with. */
const broker = await vi.hoisted(async () => new (await import('../support/fake-broker.js')).FakeBroker());
vi.mock('amqplib', () => ({ connect: (url: string) => broker.connect(url) }));

const LEGACY_BROKER_ENDPOINT = 'amqps://b-0a1b2c3d.mq.us-east-1.amazonaws.com:5671';
const LEGACY_BROKER_SECRET_ID =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:orderflow-test-legacy-broker-AbCdEf';
const LEGACY_ORDERS_TABLE = 'orderflow-test-legacy-orders';
/** The broker's user as its secret holds it: a generated password may hold any printable character. */
const BROKER_USER = { username: 'orderflow', password: 'p@ss/w:rd' };

const world = new OrderWorld();
const secrets = mockClient(SecretsManagerClient);
const links = new FakeTable(LEGACY_ORDERS_TABLE, 'orderId');
let handler: (
  event: unknown,
  context: ReturnType<typeof lambdaContext>,
) => Promise<{ placed: number; rejected: number }>;

/** The links table answers the PutCommands sent to it; the orders table (OrderWorld) every other. */
function serveLinks(): void {
  world.documentClient
    .on(PutCommand, { TableName: LEGACY_ORDERS_TABLE })
    .callsFake((input: PutCommandInput) => {
      links.put(input.TableName, input.Item, conditionOf(input), false);
      return {};
    });
}

beforeAll(async () => {
  vi.stubEnv('ORDERS_TABLE', ORDERS_TABLE);
  vi.stubEnv('IDEMPOTENCY_TABLE', IDEMPOTENCY_TABLE);
  vi.stubEnv('ORDER_EVENTS_TOPIC_ARN', ORDER_EVENTS_TOPIC_ARN);
  vi.stubEnv('LEGACY_BROKER_ENDPOINT', LEGACY_BROKER_ENDPOINT);
  vi.stubEnv('LEGACY_BROKER_SECRET_ID', LEGACY_BROKER_SECRET_ID);
  vi.stubEnv('LEGACY_ORDERS_TABLE', LEGACY_ORDERS_TABLE);
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  handler = (await import('../../functions/import-legacy-order.js')).handler;
});
beforeEach(() => {
  world.reset();
  links.clear();
  serveLinks();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(BROKER_USER) });
  broker.reset();
});
afterAll(() => {
  world.restore();
  secrets.restore();
});

const bytesOf = (text: string) => ({ bytes: [...Buffer.from(text, 'utf8')] });

/** An ERP message as the event source mapping hands it over. */
function rmqMessage(body: unknown, messageId: string | null, redelivered = false): RabbitMqMessage {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    basicProperties: {
      contentType: 'application/json',
      headers: { 'erp-system': bytesOf('SAP-R3') },
      deliveryMode: 2,
      messageId,
      correlationId: 'erp-run-42',
      timestamp: 'Dec 3, 2026, 8:40:00 AM',
      bodySize: Buffer.byteLength(text),
    },
    redelivered,
    data: Buffer.from(text, 'utf8').toString('base64'),
  };
}

function rmqEvent(byQueue: Record<string, RabbitMqMessage[]>): RabbitMqEvent {
  return {
    eventSource: 'aws:rmq',
    eventSourceArn: 'arn:aws:mq:us-east-1:123456789012:broker:orderflow:b-1',
    rmqMessagesByQueue: byQueue,
  };
}

const erpOrder = (erpOrderNo: string) => ({
  erpOrderNo,
  account: 'ACME-01',
  ccy: 'EUR',
  lines: [{ article: 'BOOK-1', qty: 2, price: '19.99' }],
});

/** Every PutCommand of the document client, in order: `link <orderId>` to the links table, `order <orderId>`. */
function puts(): string[] {
  return world.documentClient.commandCalls(PutCommand).map(({ args }) => {
    const { TableName, Item } = args[0].input;
    return `${TableName === LEGACY_ORDERS_TABLE ? 'link' : 'order'} ${String(Item?.orderId)}`;
  });
}

describe('importLegacyOrder', () => {
  it('places an order per message of every queue, decoding base64 bodies, with the AMQP correlationId', async () => {
    // Act
    const result = await handler(
      rmqEvent({
        'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1'), rmqMessage(erpOrder('PO-2'), null)],
        'legacy.orders.eu::erp': [rmqMessage(erpOrder('PO-3'), 'm-3')],
      }),
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ placed: 3, alreadyPlaced: 0, rejected: 0 });
    const publishes = world.sns.commandCalls(PublishCommand).map(({ args }) => args[0].input);
    expect(publishes).toHaveLength(3);
    expect(publishes.map((input) => input.MessageAttributes?.correlationId?.StringValue)).toEqual([
      'erp-run-42',
      'erp-run-42',
      'erp-run-42',
    ]);
    expect(broker.published).toEqual([]);
  });

  it('links each order to its ERP order number and account in LEGACY_ORDERS_TABLE, before writing the order', async () => {
    // Act
    await handler(
      rmqEvent({
        'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')],
        'legacy.orders.eu::erp': [rmqMessage(erpOrder('PO-3'), null)],
      }),
      lambdaContext(),
    );

    // Assess
    const orderIds = world.publishedEvents().map((event) => String(event.orderId));
    expect(orderIds).toHaveLength(2);
    expect(orderIds.map((orderId) => links.item(orderId))).toEqual([
      { orderId: orderIds[0], account: 'ACME-01', erpOrderNo: 'PO-1' },
      { orderId: orderIds[1], account: 'ACME-01', erpOrderNo: 'PO-3' },
    ]);
    expect(puts()).toEqual([
      `link ${orderIds[0]}`,
      `order ${orderIds[0]}`,
      `link ${orderIds[1]}`,
      `order ${orderIds[1]}`,
    ]);
  });

  it('makes no second order of a batch delivered again, and writes the same link again', async () => {
    // Prepare
    const event = rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] });
    await handler(event, lambdaContext());

    // Act
    const again = await handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1', true)] }),
      lambdaContext(),
    );

    // Assess
    expect(again).toEqual({ placed: 0, alreadyPlaced: 1, rejected: 0 });
    expect(world.sns.commandCalls(PublishCommand)).toHaveLength(1);
    const [orderId] = world.publishedEvents().map((event) => String(event.orderId));
    // The second order write is the conditional create that finds the first order.
    expect(puts()).toEqual([`link ${orderId}`, `order ${orderId}`, `link ${orderId}`, `order ${orderId}`]);
    expect(links.item(orderId ?? '')).toEqual({ orderId, account: 'ACME-01', erpOrderNo: 'PO-1' });
  });

  it('sends a message that can never be valid to legacy.orders.rejected with its reason, and places the rest', async () => {
    // Act
    const result = await handler(
      rmqEvent({
        'legacy.orders::/': [rmqMessage('{"erpOrderNo": ', 'm-bad'), rmqMessage(erpOrder('PO-2'), 'm-2')],
      }),
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ placed: 1, alreadyPlaced: 0, rejected: 1 });
    expect(broker.published).toEqual([
      {
        exchange: 'legacy.orders.dlx',
        routingKey: 'rejected',
        body: '{"erpOrderNo": ',
        options: expect.objectContaining({
          persistent: true,
          messageId: 'm-bad',
          headers: { [REJECTION_REASON_HEADER]: 'the message is not JSON' },
        }),
      },
    ]);
  });

  it('rejects the body exactly as the ERP sent it, its UTF-8 decoded from base64', async () => {
    // Prepare
    const body = '{"erpOrderNo":"PO-1","account":"Müller & Söhne","ccy":"EUR","lines":[]}';

    // Act
    const result = await handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage(body, 'm-1')] }),
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ placed: 0, alreadyPlaced: 0, rejected: 1 });
    expect(broker.published.map((message) => message.body)).toEqual([body]);
    expect(links.size).toBe(0);
  });

  it('rejects a messageId sent again with another ERP order, and the first order keeps its link', async () => {
    // Prepare
    await handler(rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }), lambdaContext());

    // Act
    const result = await handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-9'), 'm-1')] }),
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ placed: 0, alreadyPlaced: 0, rejected: 1 });
    expect(broker.published[0]?.options.headers?.[REJECTION_REASON_HEADER]).toMatch(
      /^refused: .*already linked to another ERP order than PO-9 of ACME-01/,
    );
    expect(world.orders.size).toBe(1);
    const [orderId] = world.publishedEvents().map((event) => String(event.orderId));
    expect(links.item(orderId ?? '')).toEqual({ orderId, account: 'ACME-01', erpOrderNo: 'PO-1' });
  });

  it('fails the whole batch on a transient failure, so that the broker delivers it again', async () => {
    // Prepare
    world.sns.on(PublishCommand).rejects(snsThrottling());

    // Act
    const invocation = handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }),
      lambdaContext(),
    );

    // Assess
    await expect(invocation).rejects.toThrow(/unavailable/);
  });

  it('fails the whole batch, writing no order, when the link cannot be recorded', async () => {
    // Prepare
    world.documentClient
      .on(PutCommand, { TableName: LEGACY_ORDERS_TABLE })
      .rejects(dynamoDbThrottling('ThrottlingException'));

    // Act
    const invocation = handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }),
      lambdaContext(),
    );

    // Assess
    await expect(invocation).rejects.toThrow(/DynamoDB is unavailable/);
    expect(world.orders.size).toBe(0);
    expect(world.sns.commandCalls(PublishCommand)).toEqual([]);
    expect(broker.published).toEqual([]);
  });

  describe('the broker and its user', () => {
    it('connects to LEGACY_BROKER_ENDPOINT as the user of LEGACY_BROKER_SECRET_ID, read once for many batches', async () => {
      // Act
      for (const messageId of ['m-bad-1', 'm-bad-2', 'm-bad-3']) {
        await handler(rmqEvent({ 'legacy.orders::/': [rmqMessage('not json', messageId)] }), lambdaContext());
      }

      // Assess
      expect(broker.connections).toEqual([
        'amqps://orderflow:p%40ss%2Fw%3Ard@b-0a1b2c3d.mq.us-east-1.amazonaws.com:5671',
      ]);
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
      expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, {
        SecretId: LEGACY_BROKER_SECRET_ID,
      });
      expect(broker.published).toHaveLength(3);
    });

    it('fails the batch, placing nothing, when the secret is not the broker user JSON, and says so', async () => {
      // Prepare
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'orderflow:p@ss' });

      // Act
      const invocation = handler(
        rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }),
        lambdaContext(),
      );

      // Assess
      await expect(invocation).rejects.toThrow(/the legacy broker \(AMQP\) is unavailable/);
      await expect(invocation).rejects.toMatchObject({
        cause: { name: 'BrokerSecretError', message: expect.stringContaining(LEGACY_BROKER_SECRET_ID) },
      });
      expect(broker.connections).toEqual([]);
      expect(world.orders.size).toBe(0);
    });

    it('fails the batch, rejecting nothing, when the broker dropped its connection and cannot be reached again', async () => {
      // Prepare
      await handler(rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }), lambdaContext());
      broker.down = true;
      broker.dropConnections();

      // Act
      const invocation = handler(
        rmqEvent({ 'legacy.orders::/': [rmqMessage('not json', 'm-1')] }),
        lambdaContext(),
      );

      // Assess
      await expect(invocation).rejects.toThrow(/the legacy broker \(AMQP\) is unavailable/);
      expect(broker.published).toEqual([]);
    });

    it('connects again once the broker is back, with the user read from the secret again', async () => {
      // Prepare
      await handler(rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }), lambdaContext());
      broker.down = true;
      broker.dropConnections();
      await expect(
        handler(rmqEvent({ 'legacy.orders::/': [rmqMessage('not json', 'm-bad')] }), lambdaContext()),
      ).rejects.toThrow(/unavailable/);
      broker.down = false;

      // Act
      const result = await handler(
        rmqEvent({ 'legacy.orders::/': [rmqMessage('not json', 'm-bad')] }),
        lambdaContext(),
      );

      // Assess
      expect(result).toEqual({ placed: 0, alreadyPlaced: 0, rejected: 1 });
      expect(broker.published).toHaveLength(1);
      expect(broker.connections).toHaveLength(2);
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 3);
    });
  });

  it('refuses an event that is not from a RabbitMQ broker', async () => {
    await expect(handler({ Records: [] }, lambdaContext())).rejects.toThrow(/aws:rmq/);
  });

  it('places the order of events/import-legacy-order.json and links it to its ERP order', async () => {
    // Prepare
    const event: unknown = JSON.parse(
      readFileSync(new URL('../../events/import-legacy-order.json', import.meta.url), 'utf8'),
    );

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ placed: 1, alreadyPlaced: 0, rejected: 0 });
    const [placed] = world.publishedEvents();
    expect(placed).toMatchObject({
      type: 'OrderPlaced',
      customerId: 'erp-ACME-01',
      correlationId: 'erp-run-42',
    });
    expect(links.item(String(placed?.orderId))).toEqual({
      orderId: placed?.orderId,
      account: 'ACME-01',
      erpOrderNo: 'PO-2026-000123',
    });
  });
});
