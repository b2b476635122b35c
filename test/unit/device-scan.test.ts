import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDeviceScan, ScanTooEarlyError, scanIdsOf } from '../../shared/core/device-scan.js';
import { ValidationError } from '../../shared/core/errors.js';
import { ORDER_ID_PATTERN } from '../../shared/core/order-schema.js';
import { SCAN_ID_PATTERN, SITE_ID_PATTERN } from '../../shared/core/scan.js';

/** A scan as the topic rule WarehouseScansRule hands it on: the device's JSON plus siteId, deviceId, receivedAt. */
const RULE_OUTPUT = {
  scanId: 'scan-ship-1',
  orderId: '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b',
  kind: 'shipped',
  carrier: 'DHL',
  trackingNo: 'JD0146',
  at: '2026-05-02T08:15:00Z',
  siteId: 'LYS-01',
  deviceId: 'scanner-7',
  receivedAt: 1_777_709_702_000,
};

/** The field issues of a scan `readDeviceScan` refuses (it must refuse it with a ValidationError). */
function issuesOf(event: unknown): Array<{ field: string; detail: string }> {
  let thrown: unknown;
  try {
    readDeviceScan(event);
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof ValidationError))
    throw new Error(`expected a ValidationError, got ${String(thrown)}`);
  return thrown.issues.map(({ field, detail }) => ({ field, detail }));
}

describe('readDeviceScan (the topic rule’s output → a scan command)', () => {
  it('reads a shipped scan with the fields the rule adds: a ship command, `at` as scannedAt, the site kept', () => {
    // Act
    const read = readDeviceScan(structuredClone(RULE_OUTPUT));

    // Assess
    expect(read).toEqual({
      orderId: RULE_OUTPUT.orderId,
      command: 'ship',
      scan: {
        scanId: 'scan-ship-1',
        scannedAt: '2026-05-02T08:15:00Z',
        siteId: 'LYS-01',
        carrier: 'DHL',
        trackingNo: 'JD0146',
      },
    });
  });

  it('reads a delivered scan as a deliver command, leaving out the fields the device did not send', () => {
    // Prepare
    const { carrier: _carrier, trackingNo: _trackingNo, siteId: _siteId, ...bare } = RULE_OUTPUT;

    // Act
    const read = readDeviceScan({ ...bare, kind: 'delivered', at: '2026-05-03T19:40:00+02:00' });

    // Assess
    expect(read).toEqual({
      orderId: RULE_OUTPUT.orderId,
      command: 'deliver',
      scan: { scanId: 'scan-ship-1', scannedAt: '2026-05-03T19:40:00+02:00' },
    });
    expect(Object.keys(read.scan)).toEqual(['scanId', 'scannedAt']);
  });

  it.each<[name: string, event: unknown, issue: { field: string; detail: string }]>([
    ['no scanId', { ...RULE_OUTPUT, scanId: undefined }, { field: 'scanId', detail: 'is required' }],
    [
      'an orderId with a slash',
      { ...RULE_OUTPUT, orderId: 'orders/1' },
      { field: 'orderId', detail: 'must be an order id: 1-64 of A-Z, a-z, 0-9 and -' },
    ],
    [
      'the kind lost',
      { ...RULE_OUTPUT, kind: 'lost' },
      { field: 'kind', detail: 'must be one of shipped, delivered' },
    ],
    [
      'a field a scan does not have',
      { ...RULE_OUTPUT, weightGrams: 1200 },
      { field: 'weightGrams', detail: 'is not a known field' },
    ],
    [
      'an `at` that is not ISO 8601',
      { ...RULE_OUTPUT, at: 'yesterday' },
      { field: 'at', detail: 'must be an ISO 8601 date and time, e.g. 2026-05-01T10:00:00Z' },
    ],
    [
      'a receivedAt that is not a number',
      { ...RULE_OUTPUT, receivedAt: '1777709702000' },
      { field: 'receivedAt', detail: 'must be a number' },
    ],
  ])('refuses a scan with %s with a ValidationError naming that field only', (_, event, issue) => {
    // Act
    const issues = issuesOf(event);

    // Assess
    expect(issues).toEqual([issue]);
  });

  it.each<[name: string, event: unknown]>([
    ['null', null],
    ['a string', '{"scanId":"s-1"}'],
    ['an array', [RULE_OUTPUT]],
  ])('refuses %s as not a JSON object', (_, event) => {
    // Act
    const issues = issuesOf(event);

    // Assess
    expect(issues).toEqual([{ field: 'body', detail: 'must be a JSON object' }]);
  });

  it('names every bad field of a scan at once', () => {
    // Act
    const issues = issuesOf({ ...RULE_OUTPUT, scanId: 'a b', kind: 'lost', at: 3 });

    // Assess
    expect(issues.map(({ field }) => field).sort()).toEqual(['at', 'kind', 'scanId']);
  });
});

describe('scanIdsOf (what a refused scan can be told back by)', () => {
  it('returns the ids of a scan that are readable, and nothing else it holds', () => {
    // Act
    const ids = scanIdsOf({ ...RULE_OUTPUT, kind: 'lost', at: 'yesterday' });

    // Assess
    expect(ids).toEqual({ scanId: 'scan-ship-1', orderId: RULE_OUTPUT.orderId, siteId: 'LYS-01' });
  });

  it('leaves out an id that does not match its pattern, and reads nothing from what is not an object', () => {
    // Act
    const ids = scanIdsOf({ scanId: 'a b', orderId: 42, siteId: 'site/1' });

    // Assess
    expect(ids).toEqual({});
    expect(scanIdsOf(null)).toEqual({});
    expect(scanIdsOf('scan-1')).toEqual({});
    expect(scanIdsOf(undefined)).toEqual({});
  });

  it('never returns a value that fails its pattern, and returns every one that matches it', () => {
    // Prepare: ids that match, near misses (a character too many, one not allowed) and values of any other type
    const idArb = (pattern: RegExp, maxLength: number) =>
      fc.oneof(
        fc.stringMatching(pattern),
        fc.string({ minLength: 0, maxLength: maxLength + 2 }),
        fc.string({ unit: 'grapheme', maxLength: 8 }),
        fc.stringMatching(pattern).map((id) => `${id}\n`),
        fc.anything(),
      );
    const eventArb = fc.oneof(
      fc.record(
        {
          scanId: idArb(SCAN_ID_PATTERN, 128),
          orderId: idArb(ORDER_ID_PATTERN, 64),
          siteId: idArb(SITE_ID_PATTERN, 64),
          kind: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    const patterns: Record<string, RegExp> = {
      scanId: SCAN_ID_PATTERN,
      orderId: ORDER_ID_PATTERN,
      siteId: SITE_ID_PATTERN,
    };

    fc.assert(
      fc.property(eventArb, (event) => {
        // Act
        const ids = scanIdsOf(event);

        // Assess
        for (const [key, value] of Object.entries(ids)) {
          expect(Object.keys(patterns)).toContain(key);
          expect(value).toMatch(patterns[key] as RegExp);
        }
        const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
        for (const [key, pattern] of Object.entries(patterns)) {
          const value = record[key];
          if (typeof value === 'string' && pattern.test(value)) expect(ids).toHaveProperty(key, value);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('ScanTooEarlyError', () => {
  it('is retryable and names the order and why', () => {
    // Act
    const error = new ScanTooEarlyError('o-1', 'it is PAID');

    // Assess
    expect(error).toMatchObject({ name: 'ScanTooEarlyError', retryable: true, orderId: 'o-1' });
    expect(error.message).toBe("Scan too early for order 'o-1': it is PAID");
  });
});
