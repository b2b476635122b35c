import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { REJECTION_REASON_HEADER } from '../../shared/adapters/legacy-rejections.js';
import type { RabbitMqEvent, RabbitMqMessage } from '../../shared/queue/rabbitmq-event.js';
import { lambdaContext } from '../support/api-event.js';
import {
  IDEMPOTENCY_TABLE,
  ORDER_EVENTS_TOPIC_ARN,
  ORDERS_TABLE,
  OrderWorld,
  snsThrottling,
} from '../support/order-world.js';

/** What the function published on the broker: exchange, routing key, body and options of each confirmed publish. */
const published: Array<{
  exchange: string;
  routingKey: string;
  body: string;
  options: Record<string, unknown>;
}> = [];
let brokerDown = false;
/** The `close` listeners of the open connection and channel: calling them is the broker dropping the connection. */
const onClose: Array<() => void> = [];

vi.mock('amqplib', () => ({
  connect: async () => {
    if (brokerDown) throw new Error('connect ECONNREFUSED');
    const listen = (event: string, listener: () => void) => {
      if (event === 'close') onClose.push(listener);
    };
    const channel = {
      on: (event: string, listener: () => void) => {
        listen(event, listener);
        return channel;
      },
      publish: (
        exchange: string,
        routingKey: string,
        content: Buffer,
        options: Record<string, unknown>,
        confirmed: (error: unknown) => void,
      ) => {
        published.push({ exchange, routingKey, body: content.toString('utf8'), options });
        queueMicrotask(() => confirmed(null));
        return true;
      },
    };
    return { on: listen, createConfirmChannel: async () => channel };
  },
}));

const world = new OrderWorld();
let handler: (
  event: unknown,
  context: ReturnType<typeof lambdaContext>,
) => Promise<{ placed: number; rejected: number }>;

beforeAll(async () => {
  vi.stubEnv('ORDERS_TABLE', ORDERS_TABLE);
  vi.stubEnv('IDEMPOTENCY_TABLE', IDEMPOTENCY_TABLE);
  vi.stubEnv('ORDER_EVENTS_TOPIC_ARN', ORDER_EVENTS_TOPIC_ARN);
  vi.stubEnv('LEGACY_BROKER_URL', 'amqp://orderflow:secret@broker.invalid:5672');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  handler = (await import('../../functions/import-legacy-order.js')).handler;
});
beforeEach(() => {
  world.reset();
  published.length = 0;
  brokerDown = false;
});
afterAll(() => world.restore());

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
    expect(result).toEqual({ placed: 3, rejected: 0 });
    const publishes = world.sns.commandCalls(PublishCommand).map(({ args }) => args[0].input);
    expect(publishes).toHaveLength(3);
    expect(publishes.map((input) => input.MessageAttributes?.correlationId?.StringValue)).toEqual([
      'erp-run-42',
      'erp-run-42',
      'erp-run-42',
    ]);
    expect(published).toEqual([]);
  });

  it('makes no second order of a batch delivered again', async () => {
    // Prepare
    const event = rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] });
    await handler(event, lambdaContext());

    // Act
    const again = await handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1', true)] }),
      lambdaContext(),
    );

    // Assess
    expect(again).toEqual({ placed: 1, rejected: 0 });
    expect(world.sns.commandCalls(PublishCommand)).toHaveLength(1);
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
    expect(result).toEqual({ placed: 1, rejected: 1 });
    expect(published).toEqual([
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

  it('fails the batch, rejecting nothing, when the broker dropped its connection and cannot be reached again', async () => {
    // Prepare
    await handler(rmqEvent({ 'legacy.orders::/': [rmqMessage(erpOrder('PO-1'), 'm-1')] }), lambdaContext());
    brokerDown = true;
    for (const close of onClose.splice(0)) close();

    // Act
    const invocation = handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage('not json', 'm-1')] }),
      lambdaContext(),
    );

    // Assess
    await expect(invocation).rejects.toThrow(/the legacy broker \(AMQP\) is unavailable/);
    expect(published).toEqual([]);
  });

  it('connects again once the broker is back', async () => {
    // Prepare
    for (const close of onClose.splice(0)) close();

    // Act
    const result = await handler(
      rmqEvent({ 'legacy.orders::/': [rmqMessage('not json', 'm-bad')] }),
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({ placed: 0, rejected: 1 });
    expect(published).toHaveLength(1);
  });

  it('refuses an event that is not from a RabbitMQ broker', async () => {
    await expect(handler({ Records: [] }, lambdaContext())).rejects.toThrow(/aws:rmq/);
  });
});
