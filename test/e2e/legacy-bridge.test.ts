import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { readFunctionLog } from '../../local/logs/function-log.js';
import { RABBITMQ_INSTALL_HINT, rabbitmqInstalled } from '../../local/rabbitmq.js';
import { REJECTION_REASON_HEADER } from '../../shared/adapters/legacy-rejections.js';
import { getJson, postJson, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The ERP bridge end to end: a real RabbitMQ broker started by the local cloud from the template's
 * `AWS::AmazonMQ::Broker`, `legacy.orders` polled as Lambda's Amazon MQ mapping does, `importLegacyOrder` placing the
 * orders, and `publishLegacyStatus` sending every status back on exchange `orderflow.status`.
 */

const installed = rabbitmqInstalled();

describe.runIf(!installed && process.env.CI !== undefined)('the ERP bridge on CI', () => {
  it('needs rabbitmq-server, which .ci/run installs', () => {
    throw new Error(`${RABBITMQ_INSTALL_HINT}; .ci/run installs it when it runs as root`);
  });
});

if (!installed && process.env.CI === undefined)
  console.warn(`skipping the ERP bridge end to end: ${RABBITMQ_INSTALL_HINT}`);

/** Every message of this account fails to import, transiently, on every delivery (the test-only fault switch). */
const POISON_ACCOUNT = 'POISON';

interface HeardStatus {
  routingKey: string;
  messageId: string | undefined;
  body: Record<string, unknown>;
}

describe.runIf(installed)('the ERP bridge, against a real RabbitMQ broker', () => {
  let cloud: LocalCloud;
  let logDir: string;
  let connection: ChannelModel;
  let channel: ConfirmChannel;
  const heard: HeardStatus[] = [];

  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'orderflow-legacy-e2e-'));
    ({ cloud } = await startTestCloud({
      legacyBroker: true,
      functionLogFile: join(logDir, 'functions.ndjson'),
      functionEnvironment: { importLegacyOrder: { ORDERFLOW_FAULT_CUSTOMER_ID: `erp-${POISON_ACCOUNT}` } },
    }));
    if (cloud.legacyBrokerUrl === undefined) throw new Error('the local cloud did not start its broker');
    connection = await connect(cloud.legacyBrokerUrl);
    channel = await connection.createConfirmChannel();
    // The stand-in ERP's listener: every status of every account.
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'orderflow.status', 'erp.#');
    await channel.consume(
      queue,
      (message: ConsumeMessage | null) => {
        if (message === null) return;
        heard.push({
          routingKey: message.fields.routingKey,
          messageId: message.properties.messageId as string | undefined,
          body: JSON.parse(message.content.toString('utf8')) as Record<string, unknown>,
        });
      },
      { noAck: true },
    );
  }, 120_000);

  afterAll(async () => {
    await connection?.close();
    await cloud?.stop();
    if (logDir !== undefined) await rm(logDir, { recursive: true, force: true });
  });

  const erpOrder = (account: string, erpOrderNo: string) => ({
    erpOrderNo,
    account,
    ccy: 'EUR',
    lines: [
      { article: 'BOOK-1', qty: 2, price: '19.99' },
      { article: 'PEN-7', qty: 1, price: '3.50' },
    ],
  });

  /** Publishes as the ERP does: to `legacy.orders`, persistent, with its messageId, confirmed by the broker. */
  const publish = async (body: unknown, messageId: string | undefined) => {
    channel.sendToQueue(
      'legacy.orders',
      Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      {
        persistent: true,
        contentType: 'application/json',
        ...(messageId === undefined ? {} : { messageId }),
      },
    );
    await channel.waitForConfirms();
  };

  const statusesOf = (erpOrderNo: string) => heard.filter(({ body }) => body.erpOrderNo === erpOrderNo);

  /** Distinct statuses (the ERP drops repeats by messageId, as told to), in the order heard. */
  const distinctStatusesOf = (erpOrderNo: string) => {
    const seen = new Set<string | undefined>();
    return statusesOf(erpOrderNo).filter(({ messageId }) => !seen.has(messageId) && seen.add(messageId));
  };

  /** Every message waiting in `queue`, taken off it. */
  const drain = async (queue: string) => {
    const messages = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  };

  const rejected: Array<{ messageId: string | undefined; reason: unknown; xDeath: unknown; body: string }> =
    [];
  /** `legacy.orders.rejected` so far (taken off the queue and kept here, so that tests can look again). */
  const rejectedSoFar = async () => {
    for (const message of await drain('legacy.orders.rejected')) {
      rejected.push({
        messageId: message.properties.messageId as string | undefined,
        reason: message.properties.headers?.[REJECTION_REASON_HEADER],
        xDeath: message.properties.headers?.['x-death'],
        body: message.content.toString('utf8'),
      });
    }
    return rejected;
  };

  it('places an ERP order, and once it is paid the ERP hears PLACED, PAID and FULFILLED in order', async () => {
    // Prepare
    const erpOrderNo = `PO-${randomUUID().slice(0, 8)}`;
    await publish(erpOrder('ACME', erpOrderNo), `msg-${erpOrderNo}`);

    // Act
    await waitFor(() => statusesOf(erpOrderNo).some(({ body }) => body.status === 'PLACED'), {
      timeoutMs: 30_000,
      description: `the PLACED status of ${erpOrderNo} on orderflow.status`,
    });
    const placed = statusesOf(erpOrderNo)[0] as HeardStatus;
    const orderId = String(placed.body.orderId);
    const paid = await postJson(
      cloud,
      `/orders/${orderId}/pay`,
      { amount: placed.body.total },
      { as: 'erp-ACME' },
    );
    await waitFor(() => statusesOf(erpOrderNo).some(({ body }) => body.status === 'FULFILLED'), {
      timeoutMs: 30_000,
      description: `the FULFILLED status of ${erpOrderNo}`,
    });

    // Assess
    expect(paid.status).toBe(202);
    const order = await getJson(cloud, `/orders/${orderId}`, { as: 'erp-ACME' });
    expect(order.body).toMatchObject({ customerId: 'erp-ACME', currency: 'EUR', total: 2 * 1999 + 350 });
    expect(order.body.status).toBe('FULFILLED');
    const statuses = distinctStatusesOf(erpOrderNo);
    expect(statuses.map(({ body }) => body.status)).toEqual(['PLACED', 'PAID', 'FULFILLED']);
    expect(statuses.map(({ messageId }) => messageId)).toEqual([1, 2, 3].map((seq) => `${orderId}:${seq}`));
    expect(new Set(statuses.map(({ routingKey }) => routingKey))).toEqual(new Set(['erp.ACME']));
    expect(statuses[0]?.body).toMatchObject({ erpOrderNo, orderId, seq: 1, currency: 'EUR' });
  });

  it('makes one order of a message published twice', async () => {
    // Prepare
    const erpOrderNo = `PO-${randomUUID().slice(0, 8)}`;
    const messageId = `msg-${erpOrderNo}`;

    // Act
    await publish(erpOrder('ACME', erpOrderNo), messageId);
    await publish(erpOrder('ACME', erpOrderNo), messageId);
    // Both copies imported: the function logged the first as placed and the second as already placed.
    const importsOf = async () =>
      (await readFunctionLog(join(logDir, 'functions.ndjson')))
        .filter(({ fn, line }) => fn.endsWith('-importLegacyOrder') && line.includes(messageId))
        .map(({ line }) =>
          line.includes('ERP order already placed')
            ? 'already placed'
            : line.includes('ERP order placed')
              ? 'placed'
              : 'other',
        )
        .filter((kind) => kind !== 'other');
    await waitFor(async () => (await importsOf()).length >= 2, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: `both copies of ${messageId} imported`,
    });
    await waitFor(() => statusesOf(erpOrderNo).length > 0, {
      timeoutMs: 30_000,
      description: `the PLACED status of ${erpOrderNo}`,
    });

    // Assess
    expect(await importsOf()).toEqual(['placed', 'already placed']);
    const statuses = statusesOf(erpOrderNo);
    expect(new Set(statuses.map(({ body }) => body.orderId)).size).toBe(1);
    expect(distinctStatusesOf(erpOrderNo).map(({ body }) => body.status)).toEqual(['PLACED']);
  });

  it('makes one order of each message of a batch delivered again and again, and stops the poison message of that batch at the delivery limit', async () => {
    // Prepare: a good message, then one that fails every delivery, published together (one batch).
    const good = `PO-${randomUUID().slice(0, 8)}`;
    const poison = `PO-${randomUUID().slice(0, 8)}`;

    // Act
    await Promise.all([
      publish(erpOrder('ACME', good), `msg-${good}`),
      publish(erpOrder(POISON_ACCOUNT, poison), `msg-${poison}`),
    ]);
    await waitFor(
      async () => (await rejectedSoFar()).some(({ messageId }) => messageId === `msg-${poison}`),
      {
        timeoutMs: 90_000,
        intervalMs: 200,
        description: `the poison message ${poison} in legacy.orders.rejected`,
      },
    );

    // Assess: the poison message was dead-lettered by the broker, at the queue's delivery limit.
    const deadLettered = rejected.find(({ messageId }) => messageId === `msg-${poison}`);
    expect(JSON.stringify(deadLettered?.xDeath)).toContain('delivery_limit');
    // The good message was delivered with it, batch after batch: its order was placed once, and seen again.
    const entries = await readFunctionLog(join(logDir, 'functions.ndjson'));
    const imports = entries.filter(({ fn }) => fn.endsWith('-importLegacyOrder')).map(({ line }) => line);
    expect(
      imports.filter((line) => line.includes(`msg-${good}`) && line.includes('already placed')).length,
    ).toBeGreaterThan(0);
    await waitFor(() => statusesOf(good).length > 0, {
      timeoutMs: 30_000,
      description: `the order of ${good}`,
    });
    expect(new Set(statusesOf(good).map(({ body }) => body.orderId)).size).toBe(1);
    expect(distinctStatusesOf(good).map(({ body }) => body.status)).toEqual(['PLACED']);
    expect(statusesOf(poison)).toEqual([]);
  }, 120_000);

  it('puts a message that can never be an order in legacy.orders.rejected with its reason, and imports the rest', async () => {
    // Prepare
    const valid = `PO-${randomUUID().slice(0, 8)}`;
    const invalid = { ...erpOrder('ACME', `PO-${randomUUID().slice(0, 8)}`), ccy: 'euro' };

    // Act: at once, a message in the ERP's format with an invalid currency, one that is not JSON, and a valid one.
    await Promise.all([
      publish(invalid, 'msg-invalid-currency'),
      publish('<order>not json</order>', 'msg-not-json'),
      publish(erpOrder('ACME', valid), `msg-${valid}`),
    ]);
    await waitFor(
      async () => {
        const all = await rejectedSoFar();
        return ['msg-invalid-currency', 'msg-not-json'].every((id) =>
          all.some(({ messageId }) => messageId === id),
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'both refused messages in legacy.orders.rejected' },
    );
    await waitFor(() => statusesOf(valid).length > 0, {
      timeoutMs: 30_000,
      description: `the order of ${valid}`,
    });

    // Assess
    const reasonOf = (id: string) => String(rejected.find(({ messageId }) => messageId === id)?.reason);
    expect(reasonOf('msg-invalid-currency')).toMatch(/ccy/);
    expect(reasonOf('msg-not-json')).toBe('the message is not JSON');
    expect(rejected.find(({ messageId }) => messageId === 'msg-not-json')?.body).toBe(
      '<order>not json</order>',
    );
  });

  it('places the orders of many concurrent ERP publishers once each, and tells each account only its own', async () => {
    // Prepare: 10 publishers (accounts), 5 orders each, every message sent twice.
    const accounts = Array.from({ length: 10 }, (_, index) => `ACCT-${index}`);
    const orders = accounts.flatMap((account) =>
      Array.from({ length: 5 }, () => ({ account, erpOrderNo: `PO-${randomUUID().slice(0, 8)}` })),
    );

    // Act
    await Promise.all(
      accounts.map(async (account) => {
        const publisher = await connection.createConfirmChannel();
        for (const order of orders.filter((candidate) => candidate.account === account)) {
          for (let copy = 0; copy < 2; copy += 1) {
            publisher.sendToQueue(
              'legacy.orders',
              Buffer.from(JSON.stringify(erpOrder(account, order.erpOrderNo))),
              {
                persistent: true,
                messageId: `msg-${order.erpOrderNo}`,
              },
            );
          }
        }
        await publisher.waitForConfirms();
        await publisher.close();
      }),
    );
    await waitFor(() => orders.every(({ erpOrderNo }) => statusesOf(erpOrderNo).length > 0), {
      timeoutMs: 60_000,
      description: `the PLACED status of all ${orders.length} ERP orders`,
    });

    // Assess
    for (const { account, erpOrderNo } of orders) {
      const statuses = statusesOf(erpOrderNo);
      expect(new Set(statuses.map(({ body }) => body.orderId)).size).toBe(1);
      expect(new Set(statuses.map(({ routingKey }) => routingKey))).toEqual(new Set([`erp.${account}`]));
    }
  }, 90_000);
});
