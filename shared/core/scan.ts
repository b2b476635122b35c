import { typeError } from './order-schema.js';
import type { OrderCommandType } from './status-machine.js';
import * as z from './zod.js';

/** The commands a scan runs: `ship` (FULFILLED → SHIPPED) and `deliver` (SHIPPED → DELIVERED). */
export const SCAN_COMMANDS = ['ship', 'deliver'] as const satisfies readonly OrderCommandType[];
/** `ship` or `deliver`. */
export type ScanCommandType = (typeof SCAN_COMMANDS)[number];

/** A scan's id: the `Idempotency-Key` rule, for it is what a resent scan is recognised by. */
export const SCAN_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** The id of the site (a warehouse, a depot, a delivery round) that scanned. */
export const SITE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A carrier's name as a device reports it, e.g. `DHL Express`. */
export const CARRIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._&-]{0,63}$/;
/** The carrier's tracking number of the parcel. */
export const TRACKING_NO_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

const text = typeError('a string');

const scanIdSchema = z
  .string({ error: text })
  .check(z.regex(SCAN_ID_PATTERN, { error: 'must be 1-128 characters of A-Z, a-z, 0-9, ., _, : and -' }));
const scannedAtSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date and time, e.g. 2026-05-01T10:00:00Z',
});
const siteIdSchema = z
  .string({ error: text })
  .check(z.regex(SITE_ID_PATTERN, { error: 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -' }));
const carrierSchema = z.string({ error: text }).check(
  z.regex(CARRIER_PATTERN, {
    error: 'must be 1-64 characters of A-Z, a-z, 0-9, space, ., _, & and -, starting with a letter or digit',
  }),
);
const trackingNoSchema = z
  .string({ error: text })
  .check(z.regex(TRACKING_NO_PATTERN, { error: 'must be 1-64 characters of A-Z, a-z, 0-9 and -' }));

/**
 * A scan as a device reports it: `scanId` and `scannedAt` (the device's clock) always; the site that scanned, and
 * for a parcel leaving, the carrier and its tracking number when the device knows them. Unknown fields are refused.
 */
export const scanSchema = z.strictObject(
  {
    scanId: scanIdSchema,
    scannedAt: scannedAtSchema,
    siteId: z.optional(siteIdSchema),
    carrier: z.optional(carrierSchema),
    trackingNo: z.optional(trackingNoSchema),
  },
  { error: typeError('a JSON object') },
);

/**
 * A scan: what a device reports when it scans an order's parcel. A scan ships an order (the parcel left a site) or
 * delivers it (it reached the customer). `scanId` is the device's own id of the scan: a device that got no answer
 * resends the scan with the same `scanId`, by which orderflow recognises it as a duplicate.
 */
export type Scan = z.infer<typeof scanSchema>;

/** What an `OrderShipped` event keeps of the scan that shipped the order: all of it. */
export const shippedDataSchema = scanSchema;
/** The `data` of `OrderShipped`. */
export type ShippedData = Scan;

/** What an `OrderDelivered` event keeps of the scan that delivered the order: which scan, when and where. */
export const deliveredDataSchema = z.strictObject({
  scanId: scanIdSchema,
  scannedAt: scannedAtSchema,
  siteId: z.optional(siteIdSchema),
});
/** The `data` of `OrderDelivered`. */
export type DeliveredData = z.infer<typeof deliveredDataSchema>;

/** The data of the `OrderShipped` a scan appends: its fields, none that is absent. */
export function shippedDataOf(scan: Scan): ShippedData {
  return {
    scanId: scan.scanId,
    scannedAt: scan.scannedAt,
    ...(scan.siteId === undefined ? {} : { siteId: scan.siteId }),
    ...(scan.carrier === undefined ? {} : { carrier: scan.carrier }),
    ...(scan.trackingNo === undefined ? {} : { trackingNo: scan.trackingNo }),
  };
}

/**
 * The data of the `OrderDelivered` a scan appends. Carrier and tracking number belong to the parcel's shipping,
 * recorded by `OrderShipped`: a delivery scan's are not kept.
 */
export function deliveredDataOf(scan: Scan): DeliveredData {
  return {
    scanId: scan.scanId,
    scannedAt: scan.scannedAt,
    ...(scan.siteId === undefined ? {} : { siteId: scan.siteId }),
  };
}
