import { describe, expect, it } from 'vitest';
import { type LegacyStatusPorts, publishLegacyStatus } from '../../shared/app/publish-legacy-status.js';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { DependencyUnavailableError } from '../../shared/core/errors.js';
import type { LegacyOrderLink, LegacyStatusMessage } from '../../shared/core/legacy-status.js';
import type { MetricName } from '../../shared/core/metric-names.js';
import { ACTIVITY_ORDER_ID, activityRecord } from '../support/kinesis-event.js';

const LINK: LegacyOrderLink = { orderId: ACTIVITY_ORDER_ID, account: 'ACME-01', erpOrderNo: 'PO-1' };
const erp = (status: ActivityRecord['status']) => activityRecord({ status, customerId: 'erp-ACME-01' });

/** The ports in memory; `timeline` says what happened in which order: lookups, publishes, confirms, counts. */
function world(links: LegacyOrderLink[] = [LINK]) {
  const timeline: string[] = [];
  const published: LegacyStatusMessage[] = [];
  const logged: Array<{ level: 'info' | 'error'; message: string; extra: Record<string, unknown> }> = [];
  const counted: MetricName[] = [];
  let publishError: Error | undefined;
  let findError: Error | undefined;
  const ports: LegacyStatusPorts = {
    links: {
      find: async (orderId) => {
        timeline.push(`find ${orderId}`);
        if (findError !== undefined) throw findError;
        return links.find((link) => link.orderId === orderId);
      },
    },
    publisher: {
      publish: async (message) => {
        timeline.push(`publish ${message.messageId}`);
        if (publishError !== undefined) throw publishError;
        // The broker's confirm comes a turn of the event loop later.
        await new Promise((resolve) => setImmediate(resolve));
        timeline.push(`confirmed ${message.messageId}`);
        published.push(message);
      },
    },
    log: {
      info: (message, extra) => void logged.push({ level: 'info', message, extra }),
      error: (message, extra) => void logged.push({ level: 'error', message, extra }),
    },
    metrics: {
      count: (name) => {
        timeline.push(`count ${name}`);
        counted.push(name);
      },
    },
  };
  return {
    ports,
    timeline,
    published,
    logged,
    counted,
    failPublishes: (error: Error) => {
      publishError = error;
    },
    failLookups: (error: Error) => {
      findError = error;
    },
  };
}

describe('sending a status change back to the ERP', () => {
  it('publishes the status of a linked ERP order once the broker confirmed it, and counts it', async () => {
    // Prepare
    const { ports, timeline, published, counted } = world();

    // Act
    const outcome = await publishLegacyStatus(ports, erp('PAID'));

    // Assess
    expect(outcome).toBe('published');
    expect(published).toEqual([
      {
        routingKey: 'erp.ACME-01',
        messageId: `${ACTIVITY_ORDER_ID}:2`,
        body: expect.objectContaining({ erpOrderNo: 'PO-1', status: 'PAID', seq: 2, total: 4498 }),
      },
    ]);
    expect(counted).toEqual(['LegacyStatusesPublished']);
    expect(timeline).toEqual([
      `find ${ACTIVITY_ORDER_ID}`,
      `publish ${ACTIVITY_ORDER_ID}:2`,
      `confirmed ${ACTIVITY_ORDER_ID}:2`,
      'count LegacyStatusesPublished',
    ]);
  });

  it('publishes the statuses of an order in the order it is handed them, each after the previous one is confirmed', async () => {
    // Prepare
    const { ports, timeline } = world();

    // Act
    for (const status of ['PLACED', 'PAID', 'FULFILLED'] as const) {
      await publishLegacyStatus(ports, erp(status));
    }

    // Assess
    expect(timeline.filter((entry) => /^(publish|confirmed) /.test(entry))).toEqual([
      `publish ${ACTIVITY_ORDER_ID}:1`,
      `confirmed ${ACTIVITY_ORDER_ID}:1`,
      `publish ${ACTIVITY_ORDER_ID}:2`,
      `confirmed ${ACTIVITY_ORDER_ID}:2`,
      `publish ${ACTIVITY_ORDER_ID}:3`,
      `confirmed ${ACTIVITY_ORDER_ID}:3`,
    ]);
  });

  it('skips the status of a customer that is no ERP account without looking for a link', async () => {
    // Prepare
    const { ports, timeline, logged } = world();

    // Act
    const outcome = await publishLegacyStatus(ports, activityRecord({ customerId: 'cust_42' }));

    // Assess
    expect(outcome).toBe('not-an-erp-customer');
    expect(timeline).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('skips, logging it at INFO, the status of an erp- customer whose order has no link (placed over HTTP)', async () => {
    // Prepare
    const { ports, published, counted, logged } = world([]);
    const activity = { ...erp('PLACED'), correlationId: 'req-1' };

    // Act
    const outcome = await publishLegacyStatus(ports, activity);

    // Assess
    expect(outcome).toBe('not-linked');
    expect(published).toEqual([]);
    expect(counted).toEqual([]);
    expect(logged).toEqual([
      {
        level: 'info',
        message: 'Not sent to the ERP: the order was not imported from it',
        extra: { orderId: ACTIVITY_ORDER_ID, correlationId: 'req-1', eventId: activity.eventId, seq: 1 },
      },
    ]);
  });

  it('skips, logging it as an ERROR, a status whose link names the account of another customer', async () => {
    // Prepare
    const { ports, published, logged } = world([{ ...LINK, account: 'OTHER-02' }]);

    // Act
    const outcome = await publishLegacyStatus(ports, erp('PLACED'));

    // Assess
    expect(outcome).toBe('link-mismatch');
    expect(published).toEqual([]);
    expect(logged).toEqual([
      expect.objectContaining({ level: 'error', extra: expect.objectContaining({ account: 'OTHER-02' }) }),
    ]);
  });

  it('fails with the broker’s error when the publish is not confirmed, counting nothing', async () => {
    // Prepare
    const { ports, counted, failPublishes } = world();
    const nacked = new DependencyUnavailableError('the legacy broker (AMQP)');
    failPublishes(nacked);

    // Act
    const publishing = publishLegacyStatus(ports, erp('PAID'));

    // Assess
    await expect(publishing).rejects.toBe(nacked);
    expect(counted).toEqual([]);
  });

  it('fails, publishing nothing, when the link cannot be read', async () => {
    // Prepare
    const { ports, timeline, failLookups } = world();
    const throttled = new DependencyUnavailableError('DynamoDB');
    failLookups(throttled);

    // Act
    const publishing = publishLegacyStatus(ports, erp('PAID'));

    // Assess
    await expect(publishing).rejects.toBe(throttled);
    expect(timeline).toEqual([`find ${ACTIVITY_ORDER_ID}`]);
  });
});
