import type { BusMessage } from './bus-message.js';
import type { Order, OrderRecord } from './order.js';
import type { OrderEvent } from './order-events.js';

/**
 * Where orders live. Every write is one conditional single-item write: no transactions (the design must run on
 * dynalite, and single-item conditions are all the sequencing rule needs).
 */
export interface OrderStore {
  get(orderId: string): Promise<OrderRecord | undefined>;
  /** Writes a new order with its pending event; `false` when an order with that id already exists. */
  create(order: Order, pendingEvent: OrderEvent): Promise<boolean>;
  /**
   * Replaces the record with the order's next version, its pending event and the command that made it, on the
   * condition that the stored version is still `expectedVersion`; throws `ConcurrentUpdateError` otherwise.
   */
  update(record: OrderRecord, expectedVersion: number): Promise<void>;
  /** Clears the pending event once it is published, if the order is still at `version`. */
  markPublished(orderId: string, version: number): Promise<void>;
  /** Removes an order that was never published (version 1, pending event still there). */
  discardUnpublished(orderId: string): Promise<void>;
}

/** The order-events topic. */
export interface EventBus {
  publish(message: BusMessage): Promise<void>;
}
