/**
 * Step 7, an order from the legacy ERP: one ERP order is published to `legacy.orders` as the ERP (and
 * `npm run legacy -- send`) publishes it, through the ERP bridge's broker. PASS means its PLACED heard back on the
 * status exchange with the account's routing key in time; SKIP when the cloud runs no broker or it does not answer.
 */
import { type ChannelModel, type ConsumeMessage, connect as connectAmqp } from 'amqplib';
import { LEGACY_STATUS_EXCHANGE } from '../../../shared/core/legacy-status.js';
import type { DemoCloud } from '../cloud.js';
import { brokeObservation, type Observation, type StepContext, type WaitFor } from '../step-context.js';

export const SKIPPED_LEGACY = "skipped (the ERP bridge's broker is not running)";

export async function legacyErpOrder(context: StepContext): Promise<void> {
  const account = `DEMO-${context.run.toUpperCase()}`;
  const erpOrderNo = `PO-DEMO-${context.run}`;
  const done = context.step(
    'legacy ERP order',
    `publish ERP order ${erpOrderNo} of account ${account} to legacy.orders (as npm run legacy -- send does)`,
    `the order placed: PLACED heard on exchange ${LEGACY_STATUS_EXCHANGE}, routing key erp.${account}`,
  );
  const connection = await reachableBroker(context.cloud);
  if (connection === undefined) {
    done(SKIPPED_LEGACY, false, true);
    return;
  }
  try {
    const { observed, pass } = await legacyStep(connection, {
      account,
      erpOrderNo,
      waitFor: context.waitFor,
    }).catch(brokeObservation);
    done(observed, pass);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A connection to the cloud's ERP broker, or `undefined` when it has none or it does not answer. */
async function reachableBroker(cloud: DemoCloud): Promise<ChannelModel | undefined> {
  const url = await cloud.legacyBrokerUrl().catch(() => undefined);
  if (url === undefined) return undefined;
  return connectAmqp(url, { timeout: 3000 }).catch(() => undefined);
}

/** Publishes the ERP order and waits for its PLACED on `orderflow.status` with the account's routing key. */
async function legacyStep(
  connection: ChannelModel,
  input: { account: string; erpOrderNo: string; waitFor: WaitFor },
): Promise<Observation> {
  const { account, erpOrderNo } = input;
  const channel = await connection.createConfirmChannel();
  const heard = await listenForStatuses(channel, account);
  const body = {
    erpOrderNo,
    account,
    ccy: 'EUR',
    lines: [
      { article: 'BOOK-1', qty: 2, price: '19.99' },
      { article: 'PEN-7', qty: 10, price: '1.25' },
    ],
  };
  channel.sendToQueue('legacy.orders', Buffer.from(JSON.stringify(body), 'utf8'), {
    persistent: true,
    contentType: 'application/json',
    messageId: `${account}:${erpOrderNo}`,
  });
  await channel.waitForConfirms();
  const placed = await input.waitFor(`PLACED on ${LEGACY_STATUS_EXCHANGE} (erp.${account})`, async () =>
    heard.find((status) => status.erpOrderNo === erpOrderNo && status.status === 'PLACED'),
  );
  await channel.close().catch(() => undefined);
  return {
    observed:
      placed === undefined
        ? `ERP order ${erpOrderNo}: no PLACED heard on erp.${account}`
        : `ERP order ${erpOrderNo}: order ${String(placed.orderId)} PLACED, heard on erp.${account}`,
    pass: placed !== undefined,
  };
}

/** The statuses of the account's orders, as they are heard on an exclusive queue bound to the status exchange. */
async function listenForStatuses(
  channel: Awaited<ReturnType<ChannelModel['createConfirmChannel']>>,
  account: string,
): Promise<ReadonlyArray<Record<string, unknown>>> {
  const heard: Array<Record<string, unknown>> = [];
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, LEGACY_STATUS_EXCHANGE, `erp.${account}`);
  await channel.consume(
    queue,
    (message: ConsumeMessage | null) => {
      if (message === null) return;
      try {
        heard.push(JSON.parse(message.content.toString('utf8')) as Record<string, unknown>);
      } catch {
        // not JSON: not the status of an order
      }
    },
    { noAck: true },
  );
  return heard;
}
