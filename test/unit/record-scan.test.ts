import { describe, expect, it } from 'vitest';
import { recordScan, rejectedScansTopic, type ScanPorts } from '../../shared/app/record-scan.js';
import { ScanTooEarlyError } from '../../shared/core/device-scan.js';
import { DependencyUnavailableError } from '../../shared/core/errors.js';
import type { MetricName } from '../../shared/core/metric-names.js';
import type { EventContext, OrderCommand } from '../../shared/core/order.js';
import type { Notifier } from '../../shared/core/ports.js';
import { MemoryBus, MemoryOrderStore, orderThrough } from '../support/memory-orders.js';

const ORDER_ID = '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b';
const SITE_ID = 'LYS-01';
const REJECTED_TOPIC = `warehouse/${SITE_ID}/scans/rejected`;
const SCANNED: EventContext = { eventId: 'evt-scan', now: '2026-05-02T08:15:02.000Z' };
const RESENT: EventContext = { eventId: 'evt-resent', now: '2026-05-02T08:16:00.000Z' };

/** A scan as the topic rule outputs it: the device's JSON and what the rule adds. */
function ruleOutput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scanId: 'scan-ship-1',
    orderId: ORDER_ID,
    kind: 'shipped',
    carrier: 'DHL',
    trackingNo: 'JD0146',
    at: '2026-05-02T08:15:00Z',
    siteId: SITE_ID,
    deviceId: 'scanner-7',
    receivedAt: 1_777_709_702_000,
    ...overrides,
  };
}

/** IoT Core's data plane: the (topic, payload) of each publish. */
class RecordingNotifier implements Notifier {
  readonly published: Array<{ topic: string; payload: unknown }> = [];
  async publish(topic: string, payload: unknown) {
    this.published.push({ topic, payload });
  }
}

const PAY: OrderCommand = { type: 'pay', amount: 3998 };
const FULFIL: OrderCommand = { type: 'fulfil', idempotencyKey: 'evt-2' };
const CANCEL: OrderCommand = { type: 'cancel' };

/** The ports of recordScan in memory, the order (if any) taken through `commands`. */
function world(commands: readonly OrderCommand[] | undefined) {
  const store = new MemoryOrderStore();
  if (commands !== undefined) store.records.set(ORDER_ID, orderThrough(ORDER_ID, commands));
  const bus = new MemoryBus();
  const notifier = new RecordingNotifier();
  const counted: MetricName[] = [];
  const warnings: Array<{ message: string; extra: Record<string, unknown> }> = [];
  const ports: ScanPorts = {
    store,
    bus,
    notifier,
    log: {
      info: () => undefined,
      warn: (message, extra) => void warnings.push({ message, extra }),
      appendKeys: () => undefined,
    },
    metrics: { count: (name) => void counted.push(name) },
  };
  return { store, bus, notifier, counted, warnings, ports };
}

describe('recordScan (a warehouse scan moves its order on)', () => {
  it('ships a FULFILLED order with a shipped scan and publishes OrderShipped with the scan', async () => {
    // Prepare
    const { ports, store, bus, notifier, counted } = world([PAY, FULFIL]);

    // Act
    const outcome = await recordScan(ports, ruleOutput(), SCANNED);

    // Assess
    expect(outcome).toEqual({ kind: 'applied', orderId: ORDER_ID, status: 'SHIPPED' });
    expect(store.records.get(ORDER_ID)?.order).toMatchObject({ status: 'SHIPPED', version: 4 });
    expect(bus.eventTypes()).toEqual(['OrderShipped']);
    expect(JSON.parse(bus.published[0]?.body ?? 'null')).toMatchObject({
      eventId: 'evt-scan',
      type: 'OrderShipped',
      orderId: ORDER_ID,
      seq: 4,
      data: {
        scanId: 'scan-ship-1',
        scannedAt: '2026-05-02T08:15:00Z',
        siteId: SITE_ID,
        carrier: 'DHL',
        trackingNo: 'JD0146',
      },
    });
    expect(notifier.published).toEqual([]);
    expect(counted).toEqual(['ScansApplied']);
  });

  it('answers the same scan sent again as a duplicate, publishing nothing', async () => {
    // Prepare
    const { ports, store, bus, notifier, counted } = world([PAY, FULFIL]);
    await recordScan(ports, ruleOutput(), SCANNED);
    const shipped = structuredClone(store.records.get(ORDER_ID));

    // Act
    const outcome = await recordScan(ports, ruleOutput({ receivedAt: 1_777_709_760_000 }), RESENT);

    // Assess
    expect(outcome).toEqual({ kind: 'duplicate', orderId: ORDER_ID, status: 'SHIPPED' });
    expect(bus.eventTypes()).toEqual(['OrderShipped']);
    expect(store.records.get(ORDER_ID)).toEqual(shipped);
    expect(notifier.published).toEqual([]);
    expect(counted).toEqual(['ScansApplied', 'ScansRepeated']);
  });

  it('delivers the order once it is shipped', async () => {
    // Prepare
    const { ports, bus } = world([PAY, FULFIL]);
    await recordScan(ports, ruleOutput(), SCANNED);

    // Act
    const outcome = await recordScan(
      ports,
      ruleOutput({ scanId: 'scan-deliver-1', kind: 'delivered', carrier: undefined, trackingNo: undefined }),
      RESENT,
    );

    // Assess
    expect(outcome).toEqual({ kind: 'applied', orderId: ORDER_ID, status: 'DELIVERED' });
    expect(bus.eventTypes()).toEqual(['OrderShipped', 'OrderDelivered']);
  });

  it.each<[name: string, commands: OrderCommand[], kind: string]>([
    ['a delivered scan before the shipped one', [PAY, FULFIL], 'delivered'],
    ['a shipped scan of an order only PAID', [PAY], 'shipped'],
  ])(
    'throws the retryable ScanTooEarlyError for %s, and tells the site nothing',
    async (_, commands, kind) => {
      // Prepare
      const { ports, store, bus, notifier, counted } = world(commands);
      const before = structuredClone(store.records.get(ORDER_ID));

      // Act
      const recording = recordScan(ports, ruleOutput({ kind }), SCANNED);

      // Assess
      const error = await recording.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ScanTooEarlyError);
      expect(error).toMatchObject({ retryable: true, orderId: ORDER_ID });
      expect((error as Error).message).toMatch(/try again then/);
      expect(notifier.published).toEqual([]);
      expect(bus.published).toEqual([]);
      expect(store.records.get(ORDER_ID)).toEqual(before);
      expect(counted).toEqual([]);
    },
  );

  it('refuses a scan of an unknown order: told to the site’s rejected topic with the scanId, nothing thrown', async () => {
    // Prepare
    const { ports, bus, notifier, counted, warnings } = world(undefined);

    // Act
    const outcome = await recordScan(ports, ruleOutput(), SCANNED);

    // Assess
    expect(outcome).toEqual({ kind: 'refused', reason: 'unknown order' });
    expect(notifier.published).toEqual([
      {
        topic: REJECTED_TOPIC,
        payload: { scanId: 'scan-ship-1', orderId: ORDER_ID, reason: 'unknown order' },
      },
    ]);
    expect(bus.published).toEqual([]);
    expect(counted).toEqual(['ScansRefused']);
    expect(warnings).toEqual([
      {
        message: 'Scan refused',
        extra: { scanId: 'scan-ship-1', orderId: ORDER_ID, siteId: SITE_ID, reason: 'unknown order' },
      },
    ]);
  });

  it('refuses a scan of a cancelled order, telling the site why', async () => {
    // Prepare
    const { ports, bus, notifier } = world([CANCEL]);
    const reason = `Order '${ORDER_ID}' is CANCELLED: it can be shipped only while it is FULFILLED, which it can no longer be.`;

    // Act
    const outcome = await recordScan(ports, ruleOutput(), SCANNED);

    // Assess
    expect(outcome).toEqual({ kind: 'refused', reason });
    expect(notifier.published).toEqual([
      { topic: REJECTED_TOPIC, payload: { scanId: 'scan-ship-1', orderId: ORDER_ID, reason } },
    ]);
    expect(bus.published).toEqual([]);
  });

  it('refuses a shipped scan of another scanId once the order is shipped (never valid again)', async () => {
    // Prepare
    const { ports, bus, notifier } = world([PAY, FULFIL]);
    await recordScan(ports, ruleOutput(), SCANNED);

    // Act
    const outcome = await recordScan(ports, ruleOutput({ scanId: 'scan-ship-2' }), RESENT);

    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/is SHIPPED/) });
    expect(notifier.published).toEqual([
      { topic: REJECTED_TOPIC, payload: expect.objectContaining({ scanId: 'scan-ship-2' }) },
    ]);
    expect(bus.eventTypes()).toEqual(['OrderShipped']);
  });

  it('refuses a malformed scan, naming the bad field, with the ids it could read', async () => {
    // Prepare
    const { ports, store, bus, notifier, counted } = world([PAY, FULFIL]);

    // Act
    const outcome = await recordScan(ports, ruleOutput({ at: 'yesterday' }), SCANNED);

    // Assess
    const reason = 'not a scan: at must be an ISO 8601 date and time, e.g. 2026-05-01T10:00:00Z';
    expect(outcome).toEqual({ kind: 'refused', reason });
    expect(notifier.published).toEqual([
      { topic: REJECTED_TOPIC, payload: { scanId: 'scan-ship-1', orderId: ORDER_ID, reason } },
    ]);
    expect(store.records.get(ORDER_ID)?.order.status).toBe('FULFILLED');
    expect(bus.published).toEqual([]);
    expect(counted).toEqual(['ScansRefused']);
  });

  it('tells the site of a malformed scan only the ids that are readable', async () => {
    // Prepare
    const { ports, notifier } = world([PAY, FULFIL]);

    // Act
    const outcome = await recordScan(ports, ruleOutput({ scanId: 'scan 1', orderId: 'order/1' }), SCANNED);

    // Assess
    expect(outcome.kind).toBe('refused');
    expect(notifier.published).toEqual([
      { topic: REJECTED_TOPIC, payload: { reason: expect.stringMatching(/^not a scan: /) } },
    ]);
  });

  it.each<[name: string, event: unknown]>([
    ['no siteId', ruleOutput({ siteId: undefined, kind: 'lost' })],
    ['a siteId that is no topic level', ruleOutput({ siteId: 'LYS/01', kind: 'lost' })],
    ['no object at all', 'shipped'],
  ])('refuses a malformed scan with %s without publishing anything', async (_, event) => {
    // Prepare
    const { ports, bus, notifier, counted } = world([PAY, FULFIL]);

    // Act
    const outcome = await recordScan(ports, event, SCANNED);

    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/^not a scan: /) });
    expect(notifier.published).toEqual([]);
    expect(bus.published).toEqual([]);
    expect(counted).toEqual(['ScansRefused']);
  });

  it('throws a transient store failure for Lambda to retry, refusing nothing, and applies the retry', async () => {
    // Prepare
    const { ports, store, bus, notifier, counted } = world([PAY, FULFIL]);
    store.readFailures = 1;

    // Act
    const failed = await recordScan(ports, ruleOutput(), SCANNED).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    const retried = await recordScan(ports, ruleOutput(), SCANNED);

    // Assess
    expect(failed).toBeInstanceOf(DependencyUnavailableError);
    expect(failed).toMatchObject({ retryable: true, dependency: 'DynamoDB' });
    expect(notifier.published).toEqual([]);
    expect(retried).toEqual({ kind: 'applied', orderId: ORDER_ID, status: 'SHIPPED' });
    expect(bus.eventTypes()).toEqual(['OrderShipped']);
    expect(counted).toEqual(['ScansApplied']);
  });

  it('names the rejected topic of a site', () => {
    expect(rejectedScansTopic('LYS-01')).toBe('warehouse/LYS-01/scans/rejected');
  });
});
