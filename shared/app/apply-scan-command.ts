import type { EventContext, Order } from '../core/order.js';
import type { Scan, ScanCommandType } from '../core/scan.js';
import { byThePipeline, executeOrderCommand, type OrderPorts } from './order-commands.js';

/** A scan to apply to an order: ship it (the parcel left a site) or deliver it (it reached the customer). */
export interface ScanCommandRequest {
  orderId: string;
  command: ScanCommandType;
  scan: Scan;
}

/**
 * What applying a scan did: `applied` — the order moved on (SHIPPED or DELIVERED, a new version) and its event
 * (`OrderShipped` / `OrderDelivered`) was published; `duplicate` — this scan (its `scanId`) was applied before, a
 * device resent it: nothing changed, an event it left pending was published, and `order` is the order as it is now
 * (it may have moved on since).
 */
export interface ScanCommandResult {
  outcome: 'applied' | 'duplicate';
  order: Order;
}

/**
 * The device path's use case: applies a scan's `ship` (FULFILLED → SHIPPED) or `deliver` (SHIPPED → DELIVERED) the
 * way pay and cancel are applied — one conditional write on the order's `version` with the event in its outbox, then
 * the publish (SNS FIFO, group `orderId`, deduplication id `orderId:seq`), then the outbox cleared. The device has
 * been authenticated before its scan gets here; any order may be scanned.
 *
 * Throws, as `runOrderCommand` does:
 * - `OrderNotFoundError` — no such order;
 * - `TransitionNotAllowedError` — the order is not in the status the command needs; its message says which status
 *   the order is in and which it needs, and `mayBecomeValid` tells "not yet" (a ship while PLACED or PAID, a deliver
 *   before SHIPPED: the order may still get there) from "never" (CANCELLED; a ship once SHIPPED by another scan or
 *   DELIVERED; a deliver once DELIVERED by another scan);
 * - `ConcurrentUpdateError` (retryable) — the order changed between the read and the write: apply the scan again;
 * - `DependencyUnavailableError` (retryable) — DynamoDB or SNS failed: apply the scan again; a written event stays
 *   in the outbox, and the retry (or any later command on the order) publishes it.
 *
 * @example
 * await applyScanCommand(ports, { orderId, command: 'ship', scan: { scanId: 's-1', scannedAt, carrier: 'DHL' } }, ctx)
 * // → { outcome: 'applied', order: { status: 'SHIPPED', version: 4, … } }; sent again → { outcome: 'duplicate', … }
 */
export async function applyScanCommand(
  ports: OrderPorts,
  { orderId, command, scan }: ScanCommandRequest,
  context: EventContext,
): Promise<ScanCommandResult> {
  const { outcome, order } = await executeOrderCommand(
    ports,
    orderId,
    { type: command, scan },
    context,
    byThePipeline,
  );
  return { outcome: outcome === 'applied' ? 'applied' : 'duplicate', order };
}
