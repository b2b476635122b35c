import type { OrderItem } from './order-schema.js';
import type { DeliveredData, ShippedData } from './scan.js';
import type { OrderEventType, OrderStatus } from './status-machine.js';

/** What each event type carries in `data`. */
export interface OrderEventData {
  OrderPlaced: { currency: string; region: string; items: OrderItem[]; total: number };
  OrderPaid: { amount: number };
  OrderCancelled: { previousStatus: OrderStatus; reason?: string };
  OrderFulfilled: Record<string, never>;
  /** The scan that shipped the order (`shared/core/scan.ts`). */
  OrderShipped: ShippedData;
  /** The scan that delivered the order. */
  OrderDelivered: DeliveredData;
}

/**
 * The event envelope: the SNS message body and the SQS record body (raw delivery).
 * `seq` is 1 for `OrderPlaced` and +1 per event of the same order; it is the order's `version` after the event.
 */
export type OrderEvent<T extends OrderEventType = OrderEventType> = {
  [K in T]: {
    eventId: string;
    type: K;
    orderId: string;
    customerId: string;
    seq: number;
    occurredAt: string;
    /** The request's correlation id (`shared/core/correlation.ts`); absent on events written before it existed. */
    correlationId?: string;
    data: OrderEventData[K];
  };
}[T];
