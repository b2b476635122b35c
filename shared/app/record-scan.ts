import { readDeviceScan, ScanTooEarlyError, scanIdsOf } from '../core/device-scan.js';
import { OrderNotFoundError, TransitionNotAllowedError, ValidationError } from '../core/errors.js';
import type { MetricsRecorder } from '../core/metric-names.js';
import type { EventContext } from '../core/order.js';
import type { Log, Notifier } from '../core/ports.js';
import { applyScanCommand } from './apply-scan-command.js';
import type { OrderPorts } from './order-commands.js';

export interface ScanPorts extends OrderPorts {
  /** IoT Core: where a refused scan is told back to its site, on `warehouse/{siteId}/scans/rejected`. */
  notifier: Notifier;
  log: Pick<Log, 'info' | 'warn' | 'appendKeys'>;
  metrics: MetricsRecorder;
}

export type ScanOutcome =
  | { kind: 'applied' | 'duplicate'; orderId: string; status: string }
  | { kind: 'refused'; reason: string };

/** The topic a site's scanners hear their refused scans on. */
export const rejectedScansTopic = (siteId: string): string => `warehouse/${siteId}/scans/rejected`;

/**
 * `recordScan`: a warehouse scan moves its order on — `shipped` ships a FULFILLED order, `delivered` delivers a
 * SHIPPED one — through the same conditional write, event and publish as every order command, so the new status is
 * sequenced, deduplicated, streamed, counted and notified like the others. A scan sent again (same `scanId`) changes
 * nothing.
 *
 * - A scan that can never be applied — malformed, an unknown order, a cancelled or already delivered one — is
 *   refused: logged, told to its site on `warehouse/{siteId}/scans/rejected` with its `scanId` and the reason, and
 *   acknowledged (never retried).
 * - A scan that came too early (the order may still get there) throws `ScanTooEarlyError`: Lambda retries it twice,
 *   then keeps it in the failure queue, from where it is sent back once the order caught up.
 * - Anything else (DynamoDB, SNS) throws: Lambda retries it.
 */
export async function recordScan(
  ports: ScanPorts,
  event: unknown,
  context: EventContext,
): Promise<ScanOutcome> {
  let read: ReturnType<typeof readDeviceScan>;
  try {
    read = readDeviceScan(event);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const reason = `not a scan: ${error.issues.map(({ field, detail }) => `${field} ${detail}`).join('; ')}`;
    return refuse(ports, event, reason);
  }
  ports.log.appendKeys({ orderId: read.orderId });
  try {
    const { outcome, order } = await applyScanCommand(ports, read, context);
    ports.metrics.count(outcome === 'applied' ? 'ScansApplied' : 'ScansRepeated');
    ports.log.info(outcome === 'applied' ? 'Scan applied' : 'Scan already applied', {
      scanId: read.scan.scanId,
      status: order.status,
    });
    return { kind: outcome, orderId: order.orderId, status: order.status };
  } catch (error) {
    if (error instanceof OrderNotFoundError) return refuse(ports, event, 'unknown order');
    if (error instanceof TransitionNotAllowedError) {
      if (error.mayBecomeValid) throw new ScanTooEarlyError(read.orderId, error.message);
      return refuse(ports, event, error.message);
    }
    throw error;
  }
}

async function refuse(ports: ScanPorts, event: unknown, reason: string): Promise<ScanOutcome> {
  const ids = scanIdsOf(event);
  ports.metrics.count('ScansRefused');
  ports.log.warn('Scan refused', { ...ids, reason });
  if (ids.siteId !== undefined) {
    await ports.notifier.publish(rejectedScansTopic(ids.siteId), {
      ...(ids.scanId === undefined ? {} : { scanId: ids.scanId }),
      ...(ids.orderId === undefined ? {} : { orderId: ids.orderId }),
      reason,
    });
  }
  return { kind: 'refused', reason };
}
