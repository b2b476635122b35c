import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../local/package-stack.js';
import {
  formatTimestamp,
  type RabbitMqSource,
  startRabbitMqPoller,
} from '../../../local/pollers/rabbitmq-poller.js';
import {
  RABBITMQ_INSTALL_HINT,
  type RunningBroker,
  rabbitmqInstalled,
  startLocalBroker,
} from '../../../local/rabbitmq.js';
import type { InvokeOutcome } from '../../../local/runtime/types.js';
import { applyBrokerDefinitions, type BrokerDefinitions } from '../../../shared/adapters/broker-topology.js';
import {
  LEGACY_DEAD_LETTER_EXCHANGE,
  legacyRejectionsOn,
  REJECTION_REASON_HEADER,
} from '../../../shared/adapters/legacy-rejections.js';
import { readRabbitMqEvent } from '../../../shared/queue/rabbitmq-event.js';
import { waitFor } from '../../support/wait-for.js';

const definitions = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'broker', 'definitions.json'), 'utf8'),
) as BrokerDefinitions;
const deliveryLimit = definitions.queues.find(({ name }) => name === 'legacy.orders')?.arguments[
  'x-delivery-limit'
] as number;

const installed = rabbitmqInstalled();

describe.runIf(!installed && process.env.CI !== undefined)('the legacy broker on CI', () => {
  it('needs rabbitmq-server, which .ci/run installs', () => {
    throw new Error(`${RABBITMQ_INSTALL_HINT}; .ci/run installs it when it runs as root`);
  });
});

if (!installed && process.env.CI === undefined)
  console.warn(`skipping the broker tests: ${RABBITMQ_INSTALL_HINT}`);

describe.runIf(installed)('the legacy broker, as broker/definitions.json declares it', () => {
  const brokerDir = join(PROJECT_ROOT, '.local-cloud', `test-broker-${process.pid}`);
  let broker: RunningBroker;
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  beforeAll(async () => {
    broker = await startLocalBroker({
      dir: join(PROJECT_ROOT, '.local-cloud', `test-broker-${process.pid}`),
    });
    connection = await connect(broker.url);
    channel = await connection.createConfirmChannel();
    await applyBrokerDefinitions(channel, definitions);
  });

  afterAll(async () => {
    await connection?.close();
    await broker?.stop();
    await rm(brokerDir, { recursive: true, force: true });
  });

  /** Every message waiting in `queue`, taken off it. */
  const drain = async (queue: string) => {
    const messages = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  };

  it('applies the same definitions again without complaint (declaring is idempotent)', async () => {
    await expect(applyBrokerDefinitions(channel, definitions)).resolves.toBeUndefined();
  });

  it('takes a rejected ERP message into legacy.orders.rejected with its reason and messageId, once confirmed', async () => {
    // Act
    await legacyRejectionsOn(channel).reject({
      body: '{"erpOrderNo":1}',
      messageId: 'm-bad',
      reason: 'not an ERP order: erpOrderNo must be a string',
    });

    // Assess
    const rejected = await drain('legacy.orders.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.content.toString()).toBe('{"erpOrderNo":1}');
    expect(rejected[0]?.properties.messageId).toBe('m-bad');
    expect(rejected[0]?.properties.headers?.[REJECTION_REASON_HEADER]).toBe(
      'not an ERP order: erpOrderNo must be a string',
    );
  });

  it('loses none of many rejections sent at once', async () => {
    // Act
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        legacyRejectionsOn(channel).reject({
          body: `{"n":${index}}`,
          messageId: `m-${index}`,
          reason: 'bad',
        }),
      ),
    );

    // Assess
    const rejected = await drain('legacy.orders.rejected');
    expect(rejected.map(({ properties }) => properties.messageId).sort()).toEqual(
      Array.from({ length: 50 }, (_, index) => `m-${index}`).sort(),
    );
  });

  it(`stops a message that always fails after ${deliveryLimit} redeliveries, in legacy.orders.rejected`, async () => {
    // Prepare
    channel.sendToQueue('legacy.orders', Buffer.from('{"poison":true}'), {
      messageId: 'm-poison',
      persistent: true,
    });
    await channel.waitForConfirms();
    let deliveries = 0;
    const consumer = await channel.consume('legacy.orders', (message) => {
      if (message === null) return;
      deliveries += 1;
      channel.nack(message, false, true); // a failed batch: the broker delivers it again
    });

    // Act
    let rejected: Awaited<ReturnType<typeof drain>> = [];
    await waitFor(async () => {
      rejected = await drain('legacy.orders.rejected');
      return rejected.length > 0;
    });
    await channel.cancel(consumer.consumerTag);

    // Assess
    expect(rejected[0]?.properties.messageId).toBe('m-poison');
    expect(deliveries).toBe(deliveryLimit + 1);
    const [death] = rejected[0]?.properties.headers?.['x-death'] ?? [];
    expect(death).toMatchObject({ queue: 'legacy.orders', reason: 'delivery_limit', exchange: '' });
    expect(LEGACY_DEAD_LETTER_EXCHANGE).toBe('legacy.orders.dlx');
  });

  describe('the event source mapping for legacy.orders', () => {
    const source: RabbitMqSource = {
      functionName: 'importLegacyOrder',
      queue: 'legacy.orders',
      virtualHost: '/',
      brokerArn: 'arn:aws:mq:us-east-1:000000000000:broker:orderflow:b-local',
      batchSize: 3,
      maximumBatchingWindowSeconds: 0.2,
    };

    /** Publishes `count` messages `m-<from>`… to legacy.orders, confirmed. */
    const publish = async (count: number, from = 0) => {
      for (let index = from; index < from + count; index += 1) {
        channel.sendToQueue('legacy.orders', Buffer.from(`{"n":${index}}`), {
          messageId: `m-${index}`,
          persistent: true,
          timestamp: 1_796_286_000,
          headers: { source: 'ERP-7', attempt: 1 },
        });
      }
      await channel.waitForConfirms();
    };

    it('hands over full batches and the rest after the batching window, as aws:rmq events, and acknowledges them', async () => {
      // Prepare
      const events: unknown[] = [];
      const poller = await startRabbitMqPoller({
        source,
        url: broker.url,
        invoke: async (event) => {
          events.push(event);
          return { status: 'ok', result: null };
        },
      });

      // Act
      await publish(5);
      await waitFor(() => events.length === 2, { description: 'two batches' });
      await poller.stop();

      // Assess
      const batches = events.map((event) => readRabbitMqEvent(event));
      expect(batches.map((batch) => batch.map(({ messageId }) => messageId))).toEqual([
        ['m-0', 'm-1', 'm-2'],
        ['m-3', 'm-4'],
      ]);
      expect(batches[0]?.[0]).toMatchObject({
        queue: 'legacy.orders',
        virtualHost: '/',
        body: '{"n":0}',
        headers: { source: 'ERP-7', attempt: 1 },
        redelivered: false,
      });
      const raw = (events[0] as { rmqMessagesByQueue: Record<string, Array<{ basicProperties: object }>> })
        .rmqMessagesByQueue['legacy.orders::/']?.[0]?.basicProperties;
      expect(raw).toMatchObject({
        headers: { source: { bytes: [...Buffer.from('ERP-7')] } },
        timestamp: formatTimestamp(1_796_286_000),
        replyTo: null,
      });
      expect(await channel.checkQueue('legacy.orders')).toMatchObject({ messageCount: 0 });
    });

    it('gives a failed batch back to the queue whole, and delivers it again marked redelivered', async () => {
      // Prepare
      const outcomes: InvokeOutcome[] = [
        { status: 'error', errorType: 'DependencyUnavailableError', errorMessage: 'SNS is unavailable' },
      ];
      const seen: Array<{ messageId: string | undefined; redelivered: boolean }> = [];
      const poller = await startRabbitMqPoller({
        source,
        url: broker.url,
        log: () => undefined,
        invoke: async (event) => {
          seen.push(
            ...readRabbitMqEvent(event).map(({ messageId, redelivered }) => ({ messageId, redelivered })),
          );
          return outcomes.shift() ?? { status: 'ok', result: null };
        },
      });

      // Act
      await publish(2, 100);
      await waitFor(() => seen.length >= 4, { description: 'the batch delivered twice' });
      await poller.stop();

      // Assess
      expect(seen.slice(0, 2)).toEqual([
        { messageId: 'm-100', redelivered: false },
        { messageId: 'm-101', redelivered: false },
      ]);
      expect(seen.slice(2).every(({ redelivered }) => redelivered)).toBe(true);
      expect(
        seen
          .slice(2)
          .map(({ messageId }) => messageId)
          .sort(),
      ).toEqual(['m-100', 'm-101']);
      expect(poller.stats()).toMatchObject({ functionErrors: 1, failedRecords: 2 });
      expect(await channel.checkQueue('legacy.orders')).toMatchObject({ messageCount: 0 });
    });

    it('delivers every message of many concurrent publishers once, batch after batch', async () => {
      // Prepare
      const delivered: string[] = [];
      let inFlight = 0;
      let mostInFlight = 0;
      const poller = await startRabbitMqPoller({
        source: { ...source, batchSize: 10 },
        url: broker.url,
        invoke: async (event) => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          delivered.push(...readRabbitMqEvent(event).map(({ messageId }) => messageId ?? ''));
          inFlight -= 1;
          return { status: 'ok', result: null };
        },
      });
      const publishers = await Promise.all(
        Array.from({ length: 10 }, () => connection.createConfirmChannel()),
      );

      // Act
      await Promise.all(
        publishers.map(async (publisher, p) => {
          for (let index = 0; index < 20; index += 1) {
            publisher.sendToQueue('legacy.orders', Buffer.from('{}'), { messageId: `c-${p}-${index}` });
          }
          await publisher.waitForConfirms();
          await publisher.close();
        }),
      );
      await waitFor(() => delivered.length >= 200, { description: '200 messages delivered' });
      await poller.stop();

      // Assess
      expect(new Set(delivered).size).toBe(200);
      expect(delivered).toHaveLength(200);
      expect(mostInFlight).toBe(1);
    });

    it('stops a batch that always fails at the delivery limit, in legacy.orders.rejected', async () => {
      // Prepare
      let invocations = 0;
      const poller = await startRabbitMqPoller({
        source,
        url: broker.url,
        log: () => undefined,
        invoke: async () => {
          invocations += 1;
          return { status: 'error', errorType: 'Error', errorMessage: 'always' };
        },
      });

      // Act
      await publish(1, 200);
      let rejected: Awaited<ReturnType<typeof drain>> = [];
      await waitFor(async () => {
        rejected = await drain('legacy.orders.rejected');
        return rejected.length > 0;
      });
      await poller.stop();

      // Assess
      expect(rejected.map(({ properties }) => properties.messageId)).toEqual(['m-200']);
      expect(invocations).toBe(deliveryLimit + 1);
    });
  });
});
