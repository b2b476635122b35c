import { OrderflowError, ValidationError } from './errors.js';
import { toFieldIssues } from './field-issues.js';
import { ORDER_ID_PATTERN, typeError } from './order-schema.js';
import { type Scan, type ScanCommandType, scanSchema } from './scan.js';
import * as z from './zod.js';

/**
 * What a warehouse scanner publishes to `warehouse/{siteId}/scans`, as the topic rule hands it to `recordScan`: the
 * device's JSON (`scanId`, `orderId`, `kind`, `carrier?`, `trackingNo?`, `at`) with what the rule adds — `siteId`
 * (the topic's second level), `deviceId` (the MQTT client id) and `receivedAt` (IoT's clock, ms since epoch).
 */

/** The kinds of scan orderflow acts on (the rule's WHERE lets no other through). */
export const SCAN_KINDS = ['shipped', 'delivered'] as const;
export type ScanKind = (typeof SCAN_KINDS)[number];

const SCAN_COMMAND_OF_KIND: Record<ScanKind, ScanCommandType> = { shipped: 'ship', delivered: 'deliver' };

const text = typeError('a string');

/** The scan fields the device sends, checked by the order's own scan rules (`scanSchema`). */
const deviceScanSchema = z.strictObject(
  {
    scanId: scanSchema.shape.scanId,
    orderId: z
      .string({ error: text })
      .check(z.regex(ORDER_ID_PATTERN, { error: 'must be an order id: 1-64 of A-Z, a-z, 0-9 and -' })),
    kind: z.enum(SCAN_KINDS, { error: `must be one of ${SCAN_KINDS.join(', ')}` }),
    carrier: scanSchema.shape.carrier,
    trackingNo: scanSchema.shape.trackingNo,
    at: scanSchema.shape.scannedAt,
    // Added by the topic rule.
    siteId: scanSchema.shape.siteId,
    deviceId: z.optional(z.string({ error: text })),
    receivedAt: z.optional(z.number({ error: typeError('a number') })),
  },
  { error: typeError('a JSON object') },
);

/** A scan ready for its order: which order, which command, and the scan as the order's event keeps it. */
export interface ReadScan {
  orderId: string;
  command: ScanCommandType;
  scan: Scan;
}

/**
 * Reads what the topic rule delivered. Throws `ValidationError` (one issue per field, e.g. `kind must be one of
 * shipped, delivered`) for a scan that can never be applied; the caller refuses it, it is not retried.
 */
export function readDeviceScan(event: unknown): ReadScan {
  const parsed = deviceScanSchema.safeParse(event);
  if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error));
  const { scanId, orderId, kind, carrier, trackingNo, at, siteId } = parsed.data;
  return {
    orderId,
    command: SCAN_COMMAND_OF_KIND[kind],
    scan: {
      scanId,
      scannedAt: at,
      ...(siteId === undefined ? {} : { siteId }),
      ...(carrier === undefined ? {} : { carrier }),
      ...(trackingNo === undefined ? {} : { trackingNo }),
    },
  };
}

/** What a device can be told about a refused scan, whatever else the event held: its ids, when they are readable. */
export function scanIdsOf(event: unknown): { scanId?: string; orderId?: string; siteId?: string } {
  const record = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const pick = (key: string, pattern: RegExp) =>
    typeof record[key] === 'string' && pattern.test(record[key]) ? { [key]: record[key] } : {};
  return {
    ...pick('scanId', /^[A-Za-z0-9._:-]{1,128}$/),
    ...pick('orderId', ORDER_ID_PATTERN),
    ...pick('siteId', /^[A-Za-z0-9_-]{1,64}$/),
  };
}

/**
 * A scan that came before its order could take it (a `delivered` before the `shipped`, a `shipped` while the order is
 * only PAID): retryable, so that Lambda's asynchronous retries bring it back, and then the failure queue keeps it.
 */
export class ScanTooEarlyError extends OrderflowError {
  override readonly name = 'ScanTooEarlyError';
  readonly retryable = true;
  constructor(orderId: string, because: string) {
    super(`Scan too early for order '${orderId}': ${because}`, { orderId });
  }
}
