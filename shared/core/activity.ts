import { withCorrelationId } from './correlation.js';
import type { EventAttributes } from './order-event-schema.js';
import type { OrderEvent } from './order-events.js';
import type { OrderStatus } from './status-machine.js';

/**
 * One status change on the Kinesis stream `order-activity` (partition key `orderId`). It carries the `eventId` of
 * the event that made it, so that a consumer can drop a repeat: the stream is written at least once.
 */
export interface ActivityRecord {
  eventId: string;
  orderId: string;
  customerId: string;
  status: OrderStatus;
  previousStatus: OrderStatus | null;
  total: number;
  currency: string;
  region: string;
  seq: number;
  occurredAt: string;
  /** The correlation id of the request that caused the change (`shared/core/correlation.ts`), when it had one. */
  correlationId?: string;
}

/** The status change an event makes: every event type is exactly one. */
export function statusChangeOf(event: OrderEvent): {
  status: OrderStatus;
  previousStatus: OrderStatus | null;
} {
  switch (event.type) {
    case 'OrderPlaced':
      return { status: 'PLACED', previousStatus: null };
    case 'OrderPaid':
      return { status: 'PAID', previousStatus: 'PLACED' };
    case 'OrderCancelled':
      return { status: 'CANCELLED', previousStatus: event.data.previousStatus };
    case 'OrderFulfilled':
      return { status: 'FULFILLED', previousStatus: 'PAID' };
    case 'OrderShipped':
      return { status: 'SHIPPED', previousStatus: 'FULFILLED' };
    case 'OrderDelivered':
      return { status: 'DELIVERED', previousStatus: 'SHIPPED' };
  }
}

/** The activity record of an event; money and region come with the event's message attributes. */
export function activityOf(
  event: OrderEvent,
  attributes: Pick<EventAttributes, 'total' | 'currency' | 'region'>,
): ActivityRecord {
  return {
    eventId: event.eventId,
    orderId: event.orderId,
    customerId: event.customerId,
    ...statusChangeOf(event),
    total: attributes.total,
    currency: attributes.currency,
    region: attributes.region,
    seq: event.seq,
    occurredAt: event.occurredAt,
    ...withCorrelationId(event.correlationId),
  };
}
