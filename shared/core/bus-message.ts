import { withCorrelationId } from './correlation.js';
import type { Order } from './order.js';
import type { OrderEvent } from './order-events.js';

/** A message for the SNS FIFO topic, as the README's "Fan-out and fulfillment" defines it. */
export interface BusMessage {
  /** `orderId`: one message group per order keeps an order's events in order. */
  groupId: string;
  /** `orderId:seq`: the same event published twice is the same message. */
  deduplicationId: string;
  /** The event envelope as JSON. */
  body: string;
  /** Filter-policy attributes, and the correlation id when the event has one. */
  attributes: { eventType: string; total: number; currency: string; region: string; correlationId?: string };
}

export function toBusMessage(order: Order, event: OrderEvent): BusMessage {
  return {
    groupId: event.orderId,
    deduplicationId: `${event.orderId}:${event.seq}`,
    body: JSON.stringify(event),
    attributes: {
      eventType: event.type,
      total: order.total,
      currency: order.currency,
      region: order.region,
      ...withCorrelationId(event.correlationId),
    },
  };
}
