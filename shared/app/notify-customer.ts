import type { KinesisStreamRecord } from 'aws-lambda';
import type { Log, Notifier } from '../core/ports.js';
import { statusTopicFor } from '../core/topics.js';
import { parseActivityRecord } from '../queue/activity-record.js';

export interface NotificationPorts {
  notifier: Notifier;
  log: Pick<Log, 'error'>;
}

/**
 * The record handler of `notifyCustomer`: each status change is published, QoS 1, to
 * `orders/{customerId}/{orderId}/status` as `{ orderId, status, seq, occurredAt }`. A record whose ids cannot be topic
 * levels is refused and logged, never published (it would reach another topic).
 */
export function createNotificationHandler(ports: NotificationPorts) {
  return async (record: KinesisStreamRecord): Promise<void> => {
    const activity = parseActivityRecord(record);
    const target = statusTopicFor(activity.customerId, activity.orderId);
    if ('problem' in target) {
      // The ids go in the entry, not the logger's keys: an invocation handles several orders at once.
      ports.log.error('Not published: the topic would be invalid', {
        orderId: activity.orderId,
        eventId: activity.eventId,
        reason: target.problem,
      });
      return;
    }
    const { orderId, status, seq, occurredAt } = activity;
    await ports.notifier.publish(target.topic, { orderId, status, seq, occurredAt });
  };
}
