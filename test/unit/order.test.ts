import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransitionNotAllowedError } from '../../shared/core/errors.js';
import type { EventContext, Order, OrderCommand, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, isSamePlacement, placeOrder, retryKeyOf } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { CreateOrderBody } from '../../shared/core/order-schema.js';
import { createOrderBodySchema } from '../../shared/core/order-schema.js';
import type { Scan } from '../../shared/core/scan.js';
import { createOrderBodyArb, eventContextArb, orderIdArb } from '../support/arbitraries.js';

const ORDER_ID = '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b';

const body: CreateOrderBody = {
  customerId: 'cust-42',
  currency: 'EUR',
  region: 'eu-west',
  items: [
    { sku: 'BOOK-1', quantity: 2, unitPrice: 1999 },
    { sku: 'PEN', quantity: 1, unitPrice: 1 },
  ],
};

const contexts = {
  place: { eventId: 'evt-place', now: '2025-03-01T10:00:00.000Z' },
  first: { eventId: 'evt-first', now: '2025-03-01T10:01:00.000Z' },
  retry: { eventId: 'evt-retry', now: '2025-03-01T10:02:00.000Z' },
  later: { eventId: 'evt-later', now: '2025-03-01T10:03:00.000Z' },
} satisfies Record<string, EventContext>;

/** The record after `commands` were applied; the event of the last one is still pending (its publish failed). */
function recordAfter(commands: readonly OrderCommand[]): OrderRecord {
  const placed = placeOrder(ORDER_ID, body, contexts.place);
  let record: OrderRecord = { order: placed.order, pendingEvent: placed.event };
  for (const command of commands) {
    const decision = decideCommand(record, command, contexts.first);
    if (decision.kind !== 'apply') throw new Error(`setup: ${command.type} was not applied`);
    record = {
      order: decision.order,
      pendingEvent: decision.event,
      lastCommand: decision.lastCommand,
      commandKeys: decision.commandKeys,
    };
  }
  return record;
}

/** The record after `commands` were applied and every event went out (the outbox is clear). */
function publishedRecordAfter(commands: readonly OrderCommand[]): OrderRecord {
  return { ...recordAfter(commands), pendingEvent: undefined };
}

function appliedEvent(record: OrderRecord): OrderEvent {
  if (record.pendingEvent === undefined) throw new Error('setup: no pending event');
  return record.pendingEvent;
}

describe('placeOrder', () => {
  it('places a PLACED order at version 1 with its OrderPlaced event at seq 1', () => {
    // Act
    const { order, event } = placeOrder(ORDER_ID, body, contexts.place);

    // Assess
    expect(order).toEqual({
      orderId: ORDER_ID,
      customerId: 'cust-42',
      currency: 'EUR',
      region: 'eu-west',
      items: body.items,
      total: 3999,
      status: 'PLACED',
      version: 1,
      createdAt: contexts.place.now,
      updatedAt: contexts.place.now,
    });
    expect(event).toEqual({
      eventId: 'evt-place',
      type: 'OrderPlaced',
      orderId: ORDER_ID,
      customerId: 'cust-42',
      seq: 1,
      occurredAt: contexts.place.now,
      data: { currency: 'EUR', region: 'eu-west', items: body.items, total: 3999 },
    });
  });

  it('places the same order for the same input, whatever the input', () => {
    fc.assert(
      fc.property(orderIdArb, createOrderBodyArb, eventContextArb, (orderId, input, context) => {
        // Act
        const first = placeOrder(orderId, input, context);
        const second = placeOrder(orderId, structuredClone(input), context);

        // Assess
        expect(second).toEqual(first);
        expect(first.order.items).toEqual(input.items);
        expect(first.event).toMatchObject({ orderId, customerId: input.customerId, seq: 1 });
        expect(first.event.data).toEqual({
          currency: input.currency,
          region: input.region,
          items: input.items,
          total: first.order.total,
        });
      }),
    );
  });

  it('keeps only sku, quantity and unitPrice of each item', () => {
    // Prepare: a body built in code, not parsed, may carry more than the schema keeps.
    const items = [{ sku: 'BOOK-1', quantity: 1, unitPrice: 5, note: 'gift' }];
    const withExtra: CreateOrderBody = { ...body, items };

    // Act
    const { order } = placeOrder(ORDER_ID, withExtra, contexts.place);

    // Assess
    expect(order.items).toEqual([{ sku: 'BOOK-1', quantity: 1, unitPrice: 5 }]);
  });
});

describe('decideCommand', () => {
  it('pays a placed order whose amount equals the total', () => {
    // Prepare
    const record = { ...recordAfter([]), pendingEvent: undefined };

    // Act
    const decision = decideCommand(record, { type: 'pay', amount: 3999 }, contexts.first);

    // Assess
    expect(decision).toEqual({
      kind: 'apply',
      order: { ...record.order, status: 'PAID', version: 2, updatedAt: contexts.first.now },
      event: {
        eventId: 'evt-first',
        type: 'OrderPaid',
        orderId: ORDER_ID,
        customerId: 'cust-42',
        seq: 2,
        occurredAt: contexts.first.now,
        data: { amount: 3999 },
      },
    });
  });

  it('does not change the record it decides on', () => {
    fc.assert(
      fc.property(createOrderBodyArb, eventContextArb, (input, context) => {
        // Prepare
        const placed = placeOrder(ORDER_ID, input, context);
        const record: OrderRecord = { order: placed.order, pendingEvent: placed.event };
        const before = structuredClone(record);

        // Act
        decideCommand(record, { type: 'pay', amount: placed.order.total }, context);
        decideCommand(record, { type: 'cancel', reason: 'no' }, context);

        // Assess
        expect(record).toEqual(before);
      }),
    );
  });
});

describe('decideCommand resuming an earlier attempt', () => {
  it('resumes a pay whose publish failed when the same amount is paid again', () => {
    // Prepare
    const record = recordAfter([{ type: 'pay', amount: 3999 }]);
    const pending = appliedEvent(record);

    // Act
    const decision = decideCommand(record, { type: 'pay', amount: 3999 }, contexts.retry);

    // Assess
    expect(decision.kind).toBe('resume');
    if (decision.kind !== 'resume') return;
    expect(decision.event).toBe(pending);
    expect(decision.event?.eventId).toBe('evt-first');
    expect(decision.order).toEqual(record.order);
    expect(decision.order.version).toBe(2);
  });

  it.each<{ name: string; first: OrderCommand[]; retry: OrderCommand }>([
    {
      name: 'a cancel without a reason',
      first: [{ type: 'cancel' }],
      retry: { type: 'cancel' },
    },
    {
      name: 'a cancel with the same reason',
      first: [
        { type: 'pay', amount: 3999 },
        { type: 'cancel', reason: 'too late' },
      ],
      retry: { type: 'cancel', reason: 'too late' },
    },
    {
      name: 'a fulfil',
      first: [{ type: 'pay', amount: 3999 }, { type: 'fulfil' }],
      retry: { type: 'fulfil' },
    },
  ])('resumes $name whose publish failed when it comes again', ({ first, retry }) => {
    // Prepare
    const record = recordAfter(first);

    // Act
    const decision = decideCommand(record, retry, contexts.retry);

    // Assess
    expect(decision).toEqual({ kind: 'resume', order: record.order, event: appliedEvent(record) });
  });

  it.each<{ name: string; first: OrderCommand[]; other: OrderCommand }>([
    {
      name: 'a pay of another amount',
      first: [{ type: 'pay', amount: 3999 }],
      other: { type: 'pay', amount: 4000 },
    },
    {
      name: 'a cancel with another reason',
      first: [{ type: 'cancel', reason: 'too late' }],
      other: { type: 'cancel', reason: 'too early' },
    },
    {
      name: 'a cancel without the reason',
      first: [{ type: 'cancel', reason: 'too late' }],
      other: { type: 'cancel' },
    },
    {
      name: 'a cancel with a reason after one without',
      first: [{ type: 'cancel' }],
      other: { type: 'cancel', reason: 'too late' },
    },
    {
      name: 'a pay after a pending cancel',
      first: [{ type: 'cancel' }],
      other: { type: 'pay', amount: 3999 },
    },
  ])('refuses $name instead of resuming the pending event', ({ first, other }) => {
    // Prepare
    const record = recordAfter(first);

    // Act
    const decision = decideCommand(record, other, contexts.retry);

    // Assess
    expect(decision.kind).toBe('reject');
    if (decision.kind !== 'reject') return;
    expect(decision.error).toBeInstanceOf(TransitionNotAllowedError);
  });

  it('applies a different allowed command after a pending pay instead of resuming it', () => {
    // Prepare
    const record = recordAfter([{ type: 'pay', amount: 3999 }]);

    // Act
    const decision = decideCommand(record, { type: 'cancel' }, contexts.later);

    // Assess
    expect(decision.kind).toBe('apply');
    if (decision.kind !== 'apply') return;
    expect(decision.event).toMatchObject({ eventId: 'evt-later', type: 'OrderCancelled', seq: 3 });
    expect(decision.event.data).toEqual({ previousStatus: 'PAID' });
  });

  it('pays an order whose OrderPlaced is still pending instead of resuming the placement', () => {
    // Prepare
    const record = recordAfter([]);

    // Act
    const decision = decideCommand(record, { type: 'pay', amount: 3999 }, contexts.later);

    // Assess
    expect(decision.kind).toBe('apply');
    if (decision.kind !== 'apply') return;
    expect(decision.event).toMatchObject({ eventId: 'evt-later', type: 'OrderPaid', seq: 2 });
  });

  it('does not resume a pending event that is not the last change of the order', () => {
    // Prepare
    const paid = recordAfter([{ type: 'pay', amount: 3999 }]);
    const stale: OrderRecord = {
      order: { ...paid.order, status: 'PLACED', version: 1 },
      pendingEvent: appliedEvent(paid),
    };

    // Act
    const decision = decideCommand(stale, { type: 'pay', amount: 3999 }, contexts.later);

    // Assess
    expect(decision.kind).toBe('apply');
    if (decision.kind !== 'apply') return;
    expect(decision.event.eventId).toBe('evt-later');
  });

  it('resumes with the very event it wrote, for any order and any retried command', () => {
    const commandArb = fc.constantFrom<(total: number) => OrderCommand[]>(
      (total) => [{ type: 'pay', amount: total }],
      () => [{ type: 'cancel' }],
      () => [{ type: 'cancel', reason: 'r' }],
      (total) => [{ type: 'pay', amount: total }, { type: 'cancel' }],
      (total) => [{ type: 'pay', amount: total }, { type: 'fulfil' }],
    );
    fc.assert(
      fc.property(
        createOrderBodyArb,
        commandArb,
        eventContextArb,
        eventContextArb,
        (input, commandsFor, firstContext, retryContext) => {
          // Prepare
          const placed = placeOrder(ORDER_ID, input, contexts.place);
          let record: OrderRecord = { order: placed.order, pendingEvent: undefined };
          const commands = commandsFor(placed.order.total);
          for (const command of commands) {
            const decision = decideCommand(record, command, firstContext);
            if (decision.kind !== 'apply') throw new Error('setup: not applied');
            record = { order: decision.order, pendingEvent: decision.event };
          }
          const last = commands.at(-1);
          if (last === undefined) throw new Error('setup: no command');

          // Act
          const decision = decideCommand(record, structuredClone(last), retryContext);

          // Assess
          expect(decision).toEqual({ kind: 'resume', order: record.order, event: record.pendingEvent });
          expect(decision).toMatchObject({ kind: 'resume', event: { eventId: firstContext.eventId } });
        },
      ),
    );
  });
});

describe('decideCommand recognising a retry by its Idempotency-Key', () => {
  it('resumes a keyed pay whose event already went out, with nothing left to publish', () => {
    // Prepare
    const record = publishedRecordAfter([{ type: 'pay', amount: 3999, idempotencyKey: 'key-1' }]);

    // Act
    const decision = decideCommand(
      record,
      { type: 'pay', amount: 3999, idempotencyKey: 'key-1' },
      contexts.retry,
    );

    // Assess
    expect(decision).toEqual({ kind: 'resume', order: record.order, event: undefined });
  });

  it('remembers the key and the command type of the change it applies', () => {
    // Act
    const decision = decideCommand(
      publishedRecordAfter([]),
      { type: 'cancel', idempotencyKey: 'key-9' },
      contexts.first,
    );

    // Assess
    expect(decision).toMatchObject({
      kind: 'apply',
      lastCommand: { type: 'cancel', idempotencyKey: 'key-9' },
    });
  });

  it("still recognises a keyed pay's retry after a cancel changed the order: the pay went through, answer it", () => {
    // Prepare: the pay's answer was lost; its client's cancel went through before the pay's retry.
    const record = publishedRecordAfter([
      { type: 'pay', amount: 3999, idempotencyKey: 'key-pay' },
      { type: 'cancel', idempotencyKey: 'key-cancel' },
    ]);

    // Act
    const decision = decideCommand(
      record,
      { type: 'pay', amount: 3999, idempotencyKey: 'key-pay' },
      contexts.retry,
    );

    // Assess
    expect(record.order.status).toBe('CANCELLED');
    expect(decision).toEqual({ kind: 'resume', order: record.order, event: undefined });
  });

  it('keeps the key of every command applied with one, each under its command', () => {
    // Act
    const record = recordAfter([
      { type: 'pay', amount: 3999, idempotencyKey: 'key-pay' },
      { type: 'cancel' },
    ]);

    // Assess
    expect(record.commandKeys).toEqual({ pay: 'key-pay' });
    expect(record.lastCommand).toBeUndefined();
  });

  it('remembers no command when the change came without a key', () => {
    // Act
    const decision = decideCommand(publishedRecordAfter([]), { type: 'pay', amount: 3999 }, contexts.first);

    // Assess
    expect(decision).toMatchObject({ kind: 'apply', lastCommand: undefined });
  });

  it.each<[string, OrderCommand]>([
    ['another key', { type: 'pay', amount: 3999, idempotencyKey: 'key-2' }],
    ['no key', { type: 'pay', amount: 3999 }],
  ])('refuses a second pay with %s once the first went out', (_, command) => {
    // Prepare
    const record = publishedRecordAfter([{ type: 'pay', amount: 3999, idempotencyKey: 'key-1' }]);

    // Act
    const decision = decideCommand(record, command, contexts.retry);

    // Assess
    expect(decision.kind).toBe('reject');
    if (decision.kind === 'reject') expect(decision.error).toBeInstanceOf(TransitionNotAllowedError);
  });

  it('does not take a cancel that reuses the key of the pay before it for a retry of that pay', () => {
    // Prepare
    const record = publishedRecordAfter([{ type: 'pay', amount: 3999, idempotencyKey: 'key-1' }]);

    // Act
    const decision = decideCommand(record, { type: 'cancel', idempotencyKey: 'key-1' }, contexts.later);

    // Assess
    expect(decision).toMatchObject({ kind: 'apply', order: { status: 'CANCELLED', version: 3 } });
  });
});

describe('decideCommand on a scan (ship, deliver)', () => {
  const shipScan: Scan = {
    scanId: 'scan-ship-1',
    scannedAt: '2025-03-02T08:15:00Z',
    siteId: 'LYS-01',
    carrier: 'DHL',
    trackingNo: 'JD0146',
  };
  const deliverScan: Scan = {
    scanId: 'scan-deliver-1',
    scannedAt: '2025-03-03T17:40:00+01:00',
    siteId: 'door',
    carrier: 'DHL',
  };
  const pay: OrderCommand = { type: 'pay', amount: 3999 };
  const ship: OrderCommand = { type: 'ship', scan: shipScan };
  const deliver: OrderCommand = { type: 'deliver', scan: deliverScan };

  it('ships a FULFILLED order: OrderShipped at seq 4 carries the scan, its scanId kept under ship', () => {
    // Prepare
    const record = publishedRecordAfter([pay, { type: 'fulfil' }]);

    // Act
    const decision = decideCommand(record, ship, contexts.later);

    // Assess
    expect(decision).toEqual({
      kind: 'apply',
      order: { ...record.order, status: 'SHIPPED', version: 4, updatedAt: contexts.later.now },
      event: {
        eventId: 'evt-later',
        type: 'OrderShipped',
        orderId: ORDER_ID,
        customerId: 'cust-42',
        seq: 4,
        occurredAt: contexts.later.now,
        data: shipScan,
      },
      lastCommand: { type: 'ship', idempotencyKey: 'scan-ship-1' },
      commandKeys: { ship: 'scan-ship-1' },
    });
  });

  it('ships with only what the scan holds: no carrier or tracking number when the device knows none', () => {
    // Prepare
    const record = publishedRecordAfter([pay, { type: 'fulfil' }]);

    // Act
    const decision = decideCommand(
      record,
      { type: 'ship', scan: { scanId: 's-2', scannedAt: '2025-03-02T08:15:00Z' } },
      contexts.later,
    );

    // Assess
    expect(decision).toMatchObject({ kind: 'apply', event: { type: 'OrderShipped' } });
    if (decision.kind === 'apply') {
      expect(decision.event.data).toStrictEqual({ scanId: 's-2', scannedAt: '2025-03-02T08:15:00Z' });
    }
  });

  it('delivers a SHIPPED order: OrderDelivered at seq 5 keeps the scan’s id, time and site, not its carrier', () => {
    // Prepare
    const record = publishedRecordAfter([pay, { type: 'fulfil' }, ship]);

    // Act
    const decision = decideCommand(record, deliver, contexts.later);

    // Assess
    expect(decision).toMatchObject({
      kind: 'apply',
      order: { status: 'DELIVERED', version: 5 },
      event: { type: 'OrderDelivered', seq: 5 },
      commandKeys: { ship: 'scan-ship-1', deliver: 'scan-deliver-1' },
    });
    if (decision.kind === 'apply') {
      expect(decision.event.data).toStrictEqual({
        scanId: 'scan-deliver-1',
        scannedAt: '2025-03-03T17:40:00+01:00',
        siteId: 'door',
      });
    }
  });

  it.each<{ name: string; before: OrderCommand[]; resent: OrderCommand; pending: boolean }>([
    { name: 'a ship whose event is still pending', before: [ship], resent: ship, pending: true },
    { name: 'a ship whose event went out', before: [ship], resent: ship, pending: false },
    { name: 'a ship once the order is DELIVERED', before: [ship, deliver], resent: ship, pending: true },
    { name: 'a deliver whose event went out', before: [ship, deliver], resent: deliver, pending: false },
    {
      name: 'a ship with other details but the same scanId',
      before: [ship],
      resent: { type: 'ship', scan: { ...shipScan, carrier: 'UPS', siteId: undefined } },
      pending: true,
    },
  ])('recognises $name resent by its device as a resume, changing nothing', ({ before, resent, pending }) => {
    // Prepare
    const applied = recordAfter([pay, { type: 'fulfil' }, ...before]);
    const record = pending ? applied : { ...applied, pendingEvent: undefined };

    // Act
    const decision = decideCommand(record, resent, contexts.retry);

    // Assess
    expect(decision).toEqual({ kind: 'resume', order: record.order, event: record.pendingEvent });
  });

  it.each<{ status: string; before: OrderCommand[]; command: OrderCommand; message: string }>([
    {
      status: 'PLACED',
      before: [],
      command: ship,
      message: `Order '${ORDER_ID}' is PLACED: it can be shipped once it is FULFILLED; try again then.`,
    },
    {
      status: 'PAID',
      before: [pay],
      command: ship,
      message: `Order '${ORDER_ID}' is PAID: it can be shipped once it is FULFILLED; try again then.`,
    },
    {
      status: 'FULFILLED',
      before: [pay, { type: 'fulfil' }],
      command: deliver,
      message: `Order '${ORDER_ID}' is FULFILLED: it can be delivered once it is SHIPPED; try again then.`,
    },
  ])(
    'refuses a scan while the order is $status as not yet (mayBecomeValid)',
    ({ before, command, message }) => {
      // Act
      const decision = decideCommand(publishedRecordAfter(before), command, contexts.later);

      // Assess
      expect(decision.kind).toBe('reject');
      if (decision.kind !== 'reject') return;
      expect(decision.error).toBeInstanceOf(TransitionNotAllowedError);
      expect(decision.error).toMatchObject({ mayBecomeValid: true, retryable: false, message });
    },
  );

  it.each<{ name: string; before: OrderCommand[]; command: OrderCommand; message: string }>([
    {
      name: 'a ship of a CANCELLED order',
      before: [pay, { type: 'cancel' }],
      command: ship,
      message: `Order '${ORDER_ID}' is CANCELLED: it can be shipped only while it is FULFILLED, which it can no longer be.`,
    },
    {
      name: 'a ship with another scanId of an order SHIPPED by a first scan',
      before: [pay, { type: 'fulfil' }, ship],
      command: { type: 'ship', scan: { ...shipScan, scanId: 'scan-ship-2' } },
      message: `Order '${ORDER_ID}' is SHIPPED: it can be shipped only while it is FULFILLED, which it can no longer be.`,
    },
    {
      name: 'a ship of a DELIVERED order',
      before: [pay, { type: 'fulfil' }, ship, deliver],
      command: { type: 'ship', scan: { ...shipScan, scanId: 'scan-ship-2' } },
      message: `Order '${ORDER_ID}' is DELIVERED: it can be shipped only while it is FULFILLED, which it can no longer be.`,
    },
    {
      name: 'a deliver with another scanId of a DELIVERED order',
      before: [pay, { type: 'fulfil' }, ship, deliver],
      command: { type: 'deliver', scan: { ...deliverScan, scanId: 'scan-deliver-2' } },
      message: `Order '${ORDER_ID}' is DELIVERED: it can be delivered only while it is SHIPPED, which it can no longer be.`,
    },
    {
      name: 'a deliver of a CANCELLED order',
      before: [{ type: 'cancel' }],
      command: deliver,
      message: `Order '${ORDER_ID}' is CANCELLED: it can be delivered only while it is SHIPPED, which it can no longer be.`,
    },
  ])('refuses $name for good (not mayBecomeValid)', ({ before, command, message }) => {
    // Act
    const decision = decideCommand(publishedRecordAfter(before), command, contexts.later);

    // Assess
    expect(decision.kind).toBe('reject');
    if (decision.kind !== 'reject') return;
    expect(decision.error).toBeInstanceOf(TransitionNotAllowedError);
    expect(decision.error).toMatchObject({ mayBecomeValid: false, retryable: false, message });
  });
});

describe('retryKeyOf', () => {
  it.each<[string, OrderCommand, string | undefined]>([
    ['the Idempotency-Key of a pay', { type: 'pay', amount: 1, idempotencyKey: 'key-1' }, 'key-1'],
    ['nothing for a cancel without a key', { type: 'cancel' }, undefined],
    ['the paid event’s id of a fulfil', { type: 'fulfil', idempotencyKey: 'evt-paid' }, 'evt-paid'],
    [
      'the scanId of a ship',
      { type: 'ship', scan: { scanId: 's-1', scannedAt: '2025-03-02T08:15:00Z' } },
      's-1',
    ],
    [
      'the scanId of a deliver',
      { type: 'deliver', scan: { scanId: 's-2', scannedAt: '2025-03-02T08:15:00Z' } },
      's-2',
    ],
  ])('recognises a retry by %s', (_, command, key) => {
    expect(retryKeyOf(command)).toBe(key);
  });
});

describe('isSamePlacement', () => {
  const placedRecord = (input: CreateOrderBody): OrderRecord => {
    const { order, event } = placeOrder(ORDER_ID, input, contexts.place);
    return { order, pendingEvent: event };
  };

  it('recognises the order a body placed, for any body', () => {
    fc.assert(
      fc.property(createOrderBodyArb, eventContextArb, (input, context) => {
        const { order } = placeOrder(ORDER_ID, input, context);
        expect(isSamePlacement({ order, pendingEvent: undefined }, structuredClone(input))).toBe(true);
      }),
    );
  });

  it('recognises the order after it moved on (a retried create of a paid order)', () => {
    // Prepare
    const record = recordAfter([{ type: 'pay', amount: 3999 }]);

    // Act
    const same = isSamePlacement({ order: record.order, pendingEvent: undefined }, body);

    // Assess
    expect(same).toBe(true);
  });

  it('recognises a body that left the region to its default', () => {
    // Prepare
    const parsed = createOrderBodySchema.parse({ customerId: 'cust-42', currency: 'EUR', items: body.items });

    // Act
    const same = isSamePlacement(placedRecord(body), parsed);

    // Assess
    expect(same).toBe(true);
  });

  it.each<{ name: string; change: (input: CreateOrderBody) => CreateOrderBody }>([
    { name: 'another customer', change: (input) => ({ ...input, customerId: 'cust-43' }) },
    { name: 'another currency', change: (input) => ({ ...input, currency: 'USD' }) },
    { name: 'another region', change: (input) => ({ ...input, region: 'us-east' }) },
    {
      name: 'another quantity',
      change: (input) => ({ ...input, items: input.items.map((item) => ({ ...item, quantity: 3 })) }),
    },
    {
      name: 'another unit price',
      change: (input) => ({ ...input, items: input.items.map((item) => ({ ...item, unitPrice: 2000 })) }),
    },
    {
      name: 'another sku',
      change: (input) => ({ ...input, items: input.items.map((item) => ({ ...item, sku: `${item.sku}X` })) }),
    },
    { name: 'items in another order', change: (input) => ({ ...input, items: [...input.items].reverse() }) },
    { name: 'one item fewer', change: (input) => ({ ...input, items: input.items.slice(1) }) },
    {
      name: 'one item more',
      change: (input) => ({ ...input, items: [...input.items, { sku: 'EXTRA', quantity: 1, unitPrice: 0 }] }),
    },
  ])('refuses a body with $name', ({ change }) => {
    expect(isSamePlacement(placedRecord(body), change(body))).toBe(false);
  });

  it('recognises stored items whose fields come back in another key order', () => {
    // Prepare: DynamoDB maps are unordered: GetItem may hand an item back with its keys sorted, not as written.
    const stored = placedRecord(body);
    const reordered: Order = {
      ...stored.order,
      items: stored.order.items.map(({ sku, quantity, unitPrice }) => ({ quantity, sku, unitPrice })),
    };

    // Act
    const same = isSamePlacement({ order: reordered, pendingEvent: stored.pendingEvent }, body);

    // Assess
    expect(same).toBe(true);
  });
});
