import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../local/package-stack.js';
import {
  type LocalBroker,
  RABBITMQ_INSTALL_HINT,
  rabbitmqInstalled,
  startLocalBroker,
} from '../../../local/rabbitmq.js';
import { applyBrokerDefinitions, type BrokerDefinitions } from '../../../shared/adapters/broker-topology.js';
import {
  LEGACY_DEAD_LETTER_EXCHANGE,
  legacyRejectionsOn,
  REJECTION_REASON_HEADER,
} from '../../../shared/adapters/legacy-rejections.js';
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
  let broker: LocalBroker;
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
});
