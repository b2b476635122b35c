import type { ActivityRecord } from '../core/activity.js';
import { withCorrelationId } from '../core/correlation.js';
import { isErpCustomer, legacyStatusMessage } from '../core/legacy-status.js';
import type { MetricsRecorder } from '../core/metric-names.js';
import type { LegacyOrderLinks, LegacyStatusPublisher, Log } from '../core/ports.js';

export interface LegacyStatusPorts {
  links: Pick<LegacyOrderLinks, 'find'>;
  publisher: LegacyStatusPublisher;
  log: Pick<Log, 'info' | 'error'>;
  metrics: MetricsRecorder;
}

/**
 * What became of one status change: sent to the ERP, or skipped because its customer is no ERP account's, its order
 * has no link (an HTTP customer whose id happens to start with `erp-`), or the link names another customer.
 */
export type LegacyStatusOutcome = 'published' | 'not-an-erp-customer' | 'not-linked' | 'link-mismatch';

/**
 * `publishLegacyStatus`: a status change of an order the ERP placed goes back to the ERP on `orderflow.status`
 * (`legacyStatusMessage`), confirmed by the broker before this resolves. A failed lookup or publish is thrown: the
 * record comes back, and the ERP receives the status at least once (it drops a repeat by `messageId`).
 */
export async function publishLegacyStatus(
  ports: LegacyStatusPorts,
  activity: ActivityRecord,
): Promise<LegacyStatusOutcome> {
  if (!isErpCustomer(activity.customerId)) return 'not-an-erp-customer';
  const { orderId, eventId, status, seq, correlationId } = activity;
  // The ids go in each entry, not the logger's keys: an invocation handles several orders at once.
  const ids = { orderId, ...withCorrelationId(correlationId), eventId, seq };
  const link = await ports.links.find(orderId);
  if (link === undefined) {
    ports.log.info('Not sent to the ERP: the order was not imported from it', ids);
    return 'not-linked';
  }
  const message = legacyStatusMessage(activity, link);
  if (message === undefined) {
    ports.log.error('Not sent to the ERP: the order is linked to an account of another customer', {
      ...ids,
      account: link.account,
    });
    return 'link-mismatch';
  }
  await ports.publisher.publish(message);
  ports.metrics.count('LegacyStatusesPublished');
  ports.log.info('Status sent to the ERP', {
    ...ids,
    status,
    erpOrderNo: link.erpOrderNo,
    routingKey: message.routingKey,
  });
  return 'published';
}
