import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderEventSchema } from '../../shared/core/order-event-schema.js';
import { deliveredDataOf, scanSchema, shippedDataOf } from '../../shared/core/scan.js';
import { orderHistoryArb, scanArb } from '../support/arbitraries.js';

describe('scanSchema (a scan as a device reports it)', () => {
  it('takes any scan within the field rules as it is', () => {
    fc.assert(
      fc.property(scanArb, (scan) => {
        expect(scanSchema.parse(structuredClone(scan))).toEqual(scan);
      }),
    );
  });

  it.each<[name: string, scan: unknown, issue: string]>([
    ['no scanId', { scannedAt: '2026-05-01T10:00:00Z' }, 'scanId: is required'],
    [
      'a scanId with a slash',
      { scanId: 'a/b', scannedAt: '2026-05-01T10:00:00Z' },
      'scanId: must be 1-128 characters of A-Z, a-z, 0-9, ., _, : and -',
    ],
    [
      'a time that is not ISO 8601',
      { scanId: 's-1', scannedAt: 'yesterday' },
      'scannedAt: must be an ISO 8601 date and time, e.g. 2026-05-01T10:00:00Z',
    ],
    [
      'a carrier starting with a space',
      { scanId: 's-1', scannedAt: '2026-05-01T10:00:00Z', carrier: ' DHL' },
      'carrier: must be 1-64 characters of A-Z, a-z, 0-9, space, ., _, & and -, starting with a letter or digit',
    ],
    [
      'a tracking number with a space',
      { scanId: 's-1', scannedAt: '2026-05-01T10:00:00Z', trackingNo: 'JD 01' },
      'trackingNo: must be 1-64 characters of A-Z, a-z, 0-9 and -',
    ],
    [
      'a site id with a slash',
      { scanId: 's-1', scannedAt: '2026-05-01T10:00:00Z', siteId: 'a/b' },
      'siteId: must be 1-64 characters of A-Z, a-z, 0-9, _ and -',
    ],
  ])('refuses a scan with %s, saying which field and why', (_, scan, issue) => {
    // Act
    const result = scanSchema.safeParse(scan);

    // Assess
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((found) => `${found.path.join('.')}: ${found.message}`);
    expect(issues).toEqual([issue]);
  });

  it('refuses a field a scan does not have', () => {
    expect(
      scanSchema.safeParse({ scanId: 's-1', scannedAt: '2026-05-01T10:00:00Z', orderId: 'o-1' }).success,
    ).toBe(false);
  });
});

describe('the data a scan gives its event', () => {
  it('keeps every field of a shipping scan, and only the id, time and site of a delivery scan', () => {
    fc.assert(
      fc.property(scanArb, (scan) => {
        // Act
        const shipped = shippedDataOf(scan);
        const delivered = deliveredDataOf(scan);

        // Assess
        // Spread into plain objects: the generated scans may have no prototype.
        expect(shipped).toStrictEqual({ ...scan });
        const { carrier: _carrier, trackingNo: _trackingNo, ...rest } = scan;
        expect(delivered).toStrictEqual({ ...rest });
      }),
    );
  });
});

describe('orderEventSchema (the consumers’ edge)', () => {
  it('parses every event the core writes back to itself, OrderShipped and OrderDelivered included', () => {
    fc.assert(
      fc.property(orderHistoryArb, ({ events }) => {
        for (const event of events) {
          expect(orderEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
        }
      }),
    );
  });

  it('refuses an OrderDelivered that carries a carrier: a delivery keeps no shipping details', () => {
    // Prepare
    const delivered = {
      eventId: 'evt-5',
      type: 'OrderDelivered',
      orderId: 'o-1',
      customerId: 'cust-42',
      seq: 5,
      occurredAt: '2026-05-01T10:00:00.000Z',
      data: { scanId: 's-5', scannedAt: '2026-05-01T09:59:00Z', carrier: 'DHL' },
    };

    // Act
    const result = orderEventSchema.safeParse(delivered);

    // Assess
    expect(result.success).toBe(false);
    expect(
      orderEventSchema.safeParse({
        ...delivered,
        data: { scanId: 's-5', scannedAt: '2026-05-01T09:59:00Z' },
      }),
    ).toMatchObject({ success: true });
  });
});
