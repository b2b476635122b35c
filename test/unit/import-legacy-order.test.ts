import { describe, expect, it } from 'vitest';
import { importLegacyOrders, type LegacyMessage } from '../../shared/app/import-legacy-order.js';
import { DependencyUnavailableError, InjectedFaultError } from '../../shared/core/errors.js';
import { type LegacyOrderLink, LegacyOrderLinkConflictError } from '../../shared/core/legacy-status.js';
import type { FaultSwitch, LegacyOrderLinks, RejectedLegacyMessage } from '../../shared/core/ports.js';
import { MemoryBus, MemoryOrderStore } from '../support/memory-orders.js';

/** What the ports were asked to write, in order: `link <orderId>`, `order <orderId>`. */
type Timeline = string[];

/** The links table, in memory: a link is written once, again only with the same content (as the adapter's condition). */
class MemoryLinks implements LegacyOrderLinks {
  readonly links = new Map<string, LegacyOrderLink>();
  /** A throttling error for the next `failures` recordings. */
  failures = 0;
  constructor(private readonly timeline: Timeline = []) {}
  async record(link: LegacyOrderLink) {
    this.timeline.push(`link ${link.orderId}`);
    if (this.failures > 0) {
      this.failures -= 1;
      throw new DependencyUnavailableError('DynamoDB', { mayHaveHappened: false, orderId: link.orderId });
    }
    const stored = this.links.get(link.orderId);
    if (stored !== undefined && (stored.account !== link.account || stored.erpOrderNo !== link.erpOrderNo)) {
      throw new LegacyOrderLinkConflictError(link);
    }
    this.links.set(link.orderId, { ...link });
  }
  async find(orderId: string) {
    return this.links.get(orderId);
  }
}

/** A fault switch on for one customer, as ORDERFLOW_FAULT_CUSTOMER_ID sets it. */
const failFor =
  (customerId: string): FaultSwitch['check'] =>
  (event) => {
    if (event.customerId === customerId) throw new InjectedFaultError(event.orderId);
  };

function world() {
  const timeline: Timeline = [];
  const store = new MemoryOrderStore(timeline);
  const bus = new MemoryBus();
  const links = new MemoryLinks(timeline);
  const rejected: RejectedLegacyMessage[] = [];
  const logged: Array<{ message: string; extra: Record<string, unknown> }> = [];
  const ports = {
    store,
    bus,
    links,
    faults: { check: () => undefined } as FaultSwitch,
    log: {
      info: (message: string, extra: Record<string, unknown>) => void logged.push({ message, extra }),
      warn: () => undefined,
      appendKeys: () => undefined,
    },
    rejections: { reject: async (message: RejectedLegacyMessage) => void rejected.push(message) },
  };
  return { store, bus, links, rejected, timeline, ports, logged };
}

const erpOrder = (erpOrderNo: string, price = '19.99') => ({
  erpOrderNo,
  account: 'ACME-01',
  ccy: 'EUR',
  lines: [{ article: 'BOOK-1', qty: 2, price }],
});

const amqp = (body: unknown, messageId?: string, correlationId?: string): LegacyMessage => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  messageId,
  correlationId,
});

describe('importing ERP orders', () => {
  it('places each message as an order of its account, in delivery order', async () => {
    // Prepare
    const { store, bus, rejected, ports } = world();

    // Act
    const outcomes = await importLegacyOrders(ports, [
      amqp(erpOrder('PO-1'), 'm-1', 'erp-batch-7'),
      amqp(erpOrder('PO-2', '5')),
    ]);

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['placed', 'placed']);
    expect([...store.records.values()].map(({ order }) => [order.customerId, order.total])).toEqual([
      ['erp-ACME-01', 3998],
      ['erp-ACME-01', 1000],
    ]);
    expect(bus.published.map(({ attributes }) => attributes.correlationId)).toEqual([
      'erp-batch-7',
      undefined,
    ]);
    expect(rejected).toEqual([]);
  });

  it('makes one order of a message delivered twice, by its messageId or, without one, by its order number', async () => {
    // Prepare
    const { store, bus, ports } = world();
    const batch = [amqp(erpOrder('PO-1'), 'm-1'), amqp(erpOrder('PO-2'))];

    // Act
    const first = await importLegacyOrders(ports, batch);
    const redelivered = await importLegacyOrders(ports, batch);

    // Assess
    expect(redelivered).toEqual(first.map((outcome) => ({ ...outcome, kind: 'already-placed' })));
    expect(first.map(({ kind }) => kind)).toEqual(['placed', 'placed']);
    expect(store.records.size).toBe(2);
    expect(bus.published).toHaveLength(2);
  });

  it('fails the whole batch when a later message fails, and its redelivery makes no second order of the earlier ones', async () => {
    // Prepare: the second message's customer is under the test-only fault switch.
    const { store, bus, ports } = world();
    const poisoned = { ...ports, faults: { check: failFor('erp-POISON') } };
    const batch = [amqp(erpOrder('PO-1'), 'm-1'), amqp({ ...erpOrder('PO-2'), account: 'POISON' }, 'm-2')];

    // Act
    await expect(importLegacyOrders(poisoned, batch)).rejects.toThrow(InjectedFaultError);
    const afterCrash = store.records.size;
    await expect(importLegacyOrders(poisoned, batch)).rejects.toThrow(InjectedFaultError);

    // Assess
    expect(afterCrash).toBe(1);
    expect(store.records.size).toBe(1);
    expect(bus.published).toHaveLength(1);
  });

  it('tells a copy within the same batch from the first: placed, then already placed, with its messageId', async () => {
    // Prepare
    const { store, ports, logged } = world();
    const message = amqp(erpOrder('PO-7'), 'm-7');

    // Act
    const outcomes = await importLegacyOrders(ports, [message, message]);

    // Assess
    expect(outcomes.map(({ kind }) => kind)).toEqual(['placed', 'already-placed']);
    expect(store.records.size).toBe(1);
    expect(logged.map(({ message: text, extra }) => [text, extra.messageId])).toEqual([
      ['ERP order placed', 'm-7'],
      ['ERP order already placed', 'm-7'],
    ]);
  });

  it('completes, on redelivery, an order whose publish failed the batch the first time', async () => {
    // Prepare
    const { store, bus, ports } = world();
    bus.failures = 1;
    const batch = [amqp(erpOrder('PO-1'), 'm-1')];

    // Act
    const failed = importLegacyOrders(ports, batch);
    await expect(failed).rejects.toThrow(DependencyUnavailableError);
    const redelivered = await importLegacyOrders(ports, batch);

    // Assess
    expect(redelivered.map((outcome) => outcome.kind)).toEqual(['already-placed']);
    expect(store.records.size).toBe(1);
    expect(bus.published).toHaveLength(1);
  });

  it.each([
    ['not JSON', amqp('<order no="1"/>', 'm-1'), 'the message is not JSON'],
    [
      'not the ERP format',
      amqp({ ...erpOrder('PO-1'), ccy: 'euro' }, 'm-1'),
      'not an ERP order: ccy must be an ISO 4217 code: three upper-case letters, e.g. EUR',
    ],
    [
      'too large',
      amqp('x'.repeat(64 * 1024 + 1), 'm-1'),
      'the message is 65537 bytes; an ERP order is at most 65536',
    ],
  ])(
    'rejects a message that is %s with its reason, and goes on with the batch',
    async (_case, bad, reason) => {
      // Prepare
      const { store, rejected, ports } = world();

      // Act
      const outcomes = await importLegacyOrders(ports, [bad, amqp(erpOrder('PO-9'), 'm-9')]);

      // Assess
      expect(outcomes).toEqual([{ kind: 'rejected', reason }, expect.objectContaining({ kind: 'placed' })]);
      expect(rejected).toEqual([{ body: bad.body, messageId: 'm-1', reason }]);
      expect(store.records.size).toBe(1);
    },
  );

  it('rejects a messageId sent again with another order, instead of placing or retrying it', async () => {
    // Prepare
    const { store, rejected, ports } = world();
    await importLegacyOrders(ports, [amqp(erpOrder('PO-1'), 'm-1')]);

    // Act
    const outcomes = await importLegacyOrders(ports, [amqp(erpOrder('PO-1', '20.00'), 'm-1')]);

    // Assess
    expect(outcomes[0]?.kind).toBe('rejected');
    expect(rejected[0]?.reason).toMatch(/^refused: /);
    expect(store.records.size).toBe(1);
  });

  describe('the link of each order to its ERP order', () => {
    it('records the account and ERP order number of each order before placing it', async () => {
      // Prepare
      const { links, timeline, ports } = world();

      // Act
      const outcomes = await importLegacyOrders(ports, [
        amqp(erpOrder('PO-1'), 'm-1'),
        amqp(erpOrder('PO-2')),
      ]);

      // Assess
      const [first, second] = outcomes.map((outcome) => (outcome.kind === 'placed' ? outcome.orderId : ''));
      expect([...links.links.values()]).toEqual([
        { orderId: first, account: 'ACME-01', erpOrderNo: 'PO-1' },
        { orderId: second, account: 'ACME-01', erpOrderNo: 'PO-2' },
      ]);
      expect(timeline).toEqual([`link ${first}`, `order ${first}`, `link ${second}`, `order ${second}`]);
    });

    it('records the same link again on redelivery, changing nothing', async () => {
      // Prepare
      const { links, ports } = world();
      const batch = [amqp(erpOrder('PO-1'), 'm-1')];
      await importLegacyOrders(ports, batch);
      const before = structuredClone([...links.links.values()]);

      // Act
      const redelivered = await importLegacyOrders(ports, batch);

      // Assess
      expect(redelivered.map((outcome) => outcome.kind)).toEqual(['already-placed']);
      expect([...links.links.values()]).toEqual(before);
    });

    it('rejects a messageId sent again with another ERP order number, and the first order keeps its link', async () => {
      // Prepare
      const { store, links, rejected, ports } = world();
      const [placed] = await importLegacyOrders(ports, [amqp(erpOrder('PO-1'), 'm-1')]);

      // Act
      const outcomes = await importLegacyOrders(ports, [amqp(erpOrder('PO-7'), 'm-1')]);

      // Assess
      expect(outcomes[0]?.kind).toBe('rejected');
      expect(rejected[0]?.reason).toMatch(
        /^refused: .*already linked to another ERP order than PO-7 of ACME-01/,
      );
      expect([...links.links.values()]).toEqual([
        { orderId: placed?.kind === 'placed' ? placed.orderId : '', account: 'ACME-01', erpOrderNo: 'PO-1' },
      ]);
      expect(store.records.size).toBe(1);
    });

    it('fails the batch, placing nothing, when the link cannot be recorded; the redelivery places the order', async () => {
      // Prepare
      const { store, bus, links, rejected, ports } = world();
      links.failures = 1;
      const batch = [amqp(erpOrder('PO-1'), 'm-1')];

      // Act
      const failed = importLegacyOrders(ports, batch);
      await expect(failed).rejects.toThrow(DependencyUnavailableError);
      const placedBeforeRedelivery = store.records.size;
      const redelivered = await importLegacyOrders(ports, batch);

      // Assess
      expect(placedBeforeRedelivery).toBe(0);
      expect(rejected).toEqual([]);
      expect(redelivered.map((outcome) => outcome.kind)).toEqual(['placed']);
      expect(links.links.size).toBe(1);
      expect(bus.published).toHaveLength(1);
    });
  });
});
