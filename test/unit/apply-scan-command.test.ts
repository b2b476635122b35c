import { describe, expect, it } from 'vitest';
import { applyScanCommand } from '../../shared/app/apply-scan-command.js';
import type { OrderPorts } from '../../shared/app/order-commands.js';
import {
  ConcurrentUpdateError,
  DependencyUnavailableError,
  OrderNotFoundError,
  TransitionNotAllowedError,
} from '../../shared/core/errors.js';
import type { EventContext, OrderCommand } from '../../shared/core/order.js';
import { decideCommand } from '../../shared/core/order.js';
import type { Scan } from '../../shared/core/scan.js';
import { MemoryBus, MemoryOrderStore, orderThrough } from '../support/memory-orders.js';

const ORDER_ID = '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b';
const SHIP_SCAN: Scan = {
  scanId: 'scan-ship-1',
  scannedAt: '2026-05-02T08:15:00Z',
  siteId: 'LYS-01',
  carrier: 'DHL',
  trackingNo: 'JD0146',
};
const DELIVER_SCAN: Scan = { scanId: 'scan-deliver-1', scannedAt: '2026-05-03T17:40:00Z', siteId: 'door' };
const SCANNED: EventContext = { eventId: 'evt-scan', now: '2026-05-02T08:15:02.000Z' };
const RESENT: EventContext = { eventId: 'evt-resent', now: '2026-05-02T08:16:00.000Z' };

function portsWith(store: MemoryOrderStore, bus: MemoryBus): OrderPorts {
  return { store, bus, log: { warn: () => undefined, appendKeys: () => undefined } };
}

/** A store holding the order taken through `commands`. */
function seededStore(commands: readonly OrderCommand[]): MemoryOrderStore {
  const store = new MemoryOrderStore();
  store.records.set(ORDER_ID, orderThrough(ORDER_ID, commands));
  return store;
}

const PAY: OrderCommand = { type: 'pay', amount: 3998 };
const FULFIL: OrderCommand = { type: 'fulfil', idempotencyKey: 'evt-2' };
const SHIP: OrderCommand = { type: 'ship', scan: SHIP_SCAN };
const DELIVER: OrderCommand = { type: 'deliver', scan: DELIVER_SCAN };

/** What the device path's caller gets when the scan is refused. */
async function refusal(promise: Promise<unknown>): Promise<TransitionNotAllowedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof TransitionNotAllowedError))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('applyScanCommand (the device path)', () => {
  it('ships a FULFILLED order: SHIPPED at version 4, OrderShipped published as every event, the outbox cleared', async () => {
    // Prepare
    const store = seededStore([PAY, FULFIL]);
    const bus = new MemoryBus();

    // Act
    const result = await applyScanCommand(
      portsWith(store, bus),
      { orderId: ORDER_ID, command: 'ship', scan: SHIP_SCAN },
      SCANNED,
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'applied', order: { status: 'SHIPPED', version: 4 } });
    expect(bus.published).toHaveLength(1);
    const [message] = bus.published;
    expect(message).toMatchObject({
      groupId: ORDER_ID,
      deduplicationId: `${ORDER_ID}:4`,
      attributes: { eventType: 'OrderShipped', total: 3998, currency: 'EUR', region: 'eu-west' },
    });
    expect(JSON.parse(message?.body ?? 'null')).toEqual({
      eventId: 'evt-scan',
      type: 'OrderShipped',
      orderId: ORDER_ID,
      customerId: 'cust-42',
      seq: 4,
      occurredAt: SCANNED.now,
      data: SHIP_SCAN,
    });
    expect(store.records.get(ORDER_ID)).toMatchObject({
      order: result.order,
      pendingEvent: undefined,
      commandKeys: { ship: 'scan-ship-1' },
    });
  });

  it('delivers a SHIPPED order: DELIVERED at version 5, OrderDelivered published with dedup id orderId:5', async () => {
    // Prepare
    const store = seededStore([PAY, FULFIL, SHIP]);
    const bus = new MemoryBus();

    // Act
    const result = await applyScanCommand(
      portsWith(store, bus),
      { orderId: ORDER_ID, command: 'deliver', scan: DELIVER_SCAN },
      SCANNED,
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'applied', order: { status: 'DELIVERED', version: 5 } });
    expect(bus.published.map((message) => [message.deduplicationId, message.attributes.eventType])).toEqual([
      [`${ORDER_ID}:5`, 'OrderDelivered'],
    ]);
  });

  it.each<{ name: string; before: OrderCommand[]; command: 'ship' | 'deliver'; scan: Scan }>([
    {
      name: 'a ship scan on the SHIPPED order',
      before: [PAY, FULFIL, SHIP],
      command: 'ship',
      scan: SHIP_SCAN,
    },
    {
      name: 'a ship scan once the order is DELIVERED',
      before: [PAY, FULFIL, SHIP, DELIVER],
      command: 'ship',
      scan: SHIP_SCAN,
    },
    {
      name: 'a deliver scan on the DELIVERED order',
      before: [PAY, FULFIL, SHIP, DELIVER],
      command: 'deliver',
      scan: DELIVER_SCAN,
    },
  ])('answers $name resent by its device as a duplicate, writing and publishing nothing', async (resend) => {
    // Prepare
    const store = seededStore(resend.before);
    const before = structuredClone(store.records.get(ORDER_ID));
    const bus = new MemoryBus();

    // Act
    const result = await applyScanCommand(
      portsWith(store, bus),
      { orderId: ORDER_ID, command: resend.command, scan: resend.scan },
      RESENT,
    );

    // Assess
    expect(result).toEqual({ outcome: 'duplicate', order: before?.order });
    expect(bus.published).toEqual([]);
    expect(store.records.get(ORDER_ID)).toEqual(before);
  });

  it('publishes the event of a scan whose publish failed when the device resends it, with the same dedup id', async () => {
    // Prepare: SNS throttles the first publish; the device gets an error and resends the scan
    const store = seededStore([PAY, FULFIL]);
    const bus = new MemoryBus();
    bus.failures = 1;
    const request = { orderId: ORDER_ID, command: 'ship', scan: SHIP_SCAN } as const;
    const first = await applyScanCommand(portsWith(store, bus), request, SCANNED).catch(
      (error: unknown) => error,
    );

    // Act
    const result = await applyScanCommand(portsWith(store, bus), request, RESENT);

    // Assess
    expect(first).toBeInstanceOf(DependencyUnavailableError);
    expect(result).toMatchObject({ outcome: 'duplicate', order: { status: 'SHIPPED', version: 4 } });
    expect(bus.published.map((message) => message.deduplicationId)).toEqual([`${ORDER_ID}:4`]);
    expect(JSON.parse(bus.published[0]?.body ?? 'null')).toMatchObject({ eventId: 'evt-scan' });
    expect(store.records.get(ORDER_ID)?.pendingEvent).toBeUndefined();
  });

  it.each<{
    name: string;
    before: OrderCommand[];
    command: 'ship' | 'deliver';
    mayBecomeValid: boolean;
    detail: string;
  }>([
    {
      name: 'a ship of a PAID order, not yet',
      before: [PAY],
      command: 'ship',
      mayBecomeValid: true,
      detail: 'is PAID: it can be shipped once it is FULFILLED; try again then.',
    },
    {
      name: 'a deliver of a FULFILLED order, not yet',
      before: [PAY, FULFIL],
      command: 'deliver',
      mayBecomeValid: true,
      detail: 'is FULFILLED: it can be delivered once it is SHIPPED; try again then.',
    },
    {
      name: 'a ship of a CANCELLED order, never',
      before: [{ type: 'cancel' }],
      command: 'ship',
      mayBecomeValid: false,
      detail: 'is CANCELLED: it can be shipped only while it is FULFILLED, which it can no longer be.',
    },
  ])('refuses $name, writing and publishing nothing', async ({ before, command, mayBecomeValid, detail }) => {
    // Prepare
    const store = seededStore(before);
    const stored = structuredClone(store.records.get(ORDER_ID));
    const bus = new MemoryBus();
    const scan = command === 'ship' ? SHIP_SCAN : DELIVER_SCAN;

    // Act
    const error = await refusal(
      applyScanCommand(portsWith(store, bus), { orderId: ORDER_ID, command, scan }, SCANNED),
    );

    // Assess
    expect(error).toMatchObject({ orderId: ORDER_ID, command, mayBecomeValid, retryable: false });
    expect(error.message).toBe(`Order '${ORDER_ID}' ${detail}`);
    expect(bus.published).toEqual([]);
    expect(store.records.get(ORDER_ID)).toEqual(stored);
  });

  it('refuses a scan of an order that does not exist with OrderNotFoundError', async () => {
    // Act
    const result = applyScanCommand(
      portsWith(new MemoryOrderStore(), new MemoryBus()),
      { orderId: ORDER_ID, command: 'ship', scan: SHIP_SCAN },
      SCANNED,
    );

    // Assess
    await expect(result).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('fails with the retryable ConcurrentUpdateError when another scan wrote first, and answers the resend as a duplicate', async () => {
    // Prepare: the same scan, resent while the first attempt runs, is written between this attempt's read and write
    const store = seededStore([PAY, FULFIL]);
    const bus = new MemoryBus();
    const request = { orderId: ORDER_ID, command: 'ship', scan: SHIP_SCAN } as const;
    store.beforeNextUpdate = () => {
      const record = store.records.get(ORDER_ID);
      if (record === undefined) throw new Error('setup: no order');
      const decision = decideCommand(record, { type: 'ship', scan: SHIP_SCAN }, RESENT);
      if (decision.kind !== 'apply') throw new Error('setup: the other write was not applied');
      const { order, lastCommand, commandKeys } = decision;
      store.records.set(ORDER_ID, { order, pendingEvent: undefined, lastCommand, commandKeys });
    };

    // Act
    const raced = await applyScanCommand(portsWith(store, bus), request, SCANNED).catch(
      (error: unknown) => error,
    );
    const again = await applyScanCommand(portsWith(store, bus), request, SCANNED);

    // Assess
    expect(raced).toBeInstanceOf(ConcurrentUpdateError);
    expect(raced).toMatchObject({ retryable: true });
    expect(again).toMatchObject({ outcome: 'duplicate', order: { status: 'SHIPPED', version: 4 } });
  });
});
