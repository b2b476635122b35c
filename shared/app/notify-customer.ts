import type { ActivityRecord } from '../core/activity.js';
import { withCorrelationId } from '../core/correlation.js';
import type { MetricsRecorder } from '../core/metric-names.js';
import type { Log, Notifier } from '../core/ports.js';
import { statusTopicFor } from '../core/topics.js';

export interface NotificationPorts {
  notifier: Notifier;
  log: Pick<Log, 'error' | 'info'>;
  metrics: MetricsRecorder;
}

/**
 * `notifyCustomer`: a status change is published, QoS 1, to `orders/{customerId}/{orderId}/status` as
 * `{ orderId, status, seq, occurredAt, correlationId? }`. One whose ids cannot be topic levels is refused and
 * logged, never published (it would reach another topic).
 */
export async function notifyCustomer(ports: NotificationPorts, activity: ActivityRecord): Promise<void> {
  const target = statusTopicFor(activity.customerId, activity.orderId);
  if ('problem' in target) {
    // The ids go in the entry, not the logger's keys: an invocation handles several orders at once.
    ports.log.error('Not published: the topic would be invalid', {
      orderId: activity.orderId,
      ...withCorrelationId(activity.correlationId),
      eventId: activity.eventId,
      reason: target.problem,
    });
    return;
  }
  const { orderId, status, seq, occurredAt, correlationId } = activity;
  await ports.notifier.publish(target.topic, {
    orderId,
    status,
    seq,
    occurredAt,
    ...withCorrelationId(correlationId),
  });
  ports.metrics.count('NotificationsPublished');
  ports.log.info('Status published', { orderId, ...withCorrelationId(correlationId), status, seq });
}
