import type { BusMessage } from '../../shared/core/bus-message.js';
import { ConcurrentUpdateError, DependencyUnavailableError } from '../../shared/core/errors.js';
import type { Order, OrderCommand, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, placeOrder } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { EventBus, OrderStore } from '../../shared/core/ports.js';

/**
 * The orders table in memory, with the adapter's conditions: a create only where no order is, an update only at the
 * expected `version`. For the unit tests of use cases that take an `OrderStore`.
 */
export class MemoryOrderStore implements OrderStore {
  readonly records = new Map<string, OrderRecord>();
  /** DynamoDB throttling for the next `readFailures` reads. */
  readFailures = 0;
  /** Runs just before the next update's condition is checked: another writer getting there first. */
  beforeNextUpdate: (() => void) | undefined;

  /** `timeline` is told `order <orderId>` at each create, for tests of what is written in which order. */
  constructor(private readonly timeline: string[] = []) {}

  async get(orderId: string) {
    if (this.readFailures > 0) {
      this.readFailures -= 1;
      throw new DependencyUnavailableError('DynamoDB', { mayHaveHappened: false, orderId });
    }
    return structuredClone(this.records.get(orderId));
  }
  async create(order: Order, pendingEvent: OrderEvent) {
    this.timeline.push(`order ${order.orderId}`);
    if (this.records.has(order.orderId)) return false;
    this.records.set(order.orderId, { order, pendingEvent });
    return true;
  }
  async update(record: OrderRecord, expectedVersion: number) {
    const race = this.beforeNextUpdate;
    this.beforeNextUpdate = undefined;
    race?.();
    const stored = this.records.get(record.order.orderId);
    if (stored?.order.version !== expectedVersion) {
      throw new ConcurrentUpdateError(record.order.orderId, expectedVersion);
    }
    this.records.set(record.order.orderId, structuredClone(record));
  }
  async markPublished(orderId: string, version: number) {
    const record = this.records.get(orderId);
    if (record !== undefined && record.order.version === version) {
      this.records.set(orderId, { ...record, pendingEvent: undefined });
    }
  }
  async discardUnpublished(orderId: string) {
    this.records.delete(orderId);
  }
}

/** The topic in memory: what it took, or SNS throttling for the next `failures` publishes. */
export class MemoryBus implements EventBus {
  readonly published: BusMessage[] = [];
  failures = 0;
  async publish(message: BusMessage) {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new DependencyUnavailableError('SNS', { mayHaveHappened: false });
    }
    this.published.push(message);
  }
  /** The `eventType` of each message taken, in order. */
  eventTypes(): unknown[] {
    return this.published.map((message) => message.attributes.eventType);
  }
}

/**
 * An order placed (2 × 1999 EUR cents in eu-west, customer `cust-42`), taken through `commands` by the real core,
 * every event published: the record a store would hold.
 */
export function orderThrough(orderId: string, commands: readonly OrderCommand[]): OrderRecord {
  const placed = placeOrder(
    orderId,
    {
      customerId: 'cust-42',
      currency: 'EUR',
      region: 'eu-west',
      items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1999 }],
    },
    { eventId: 'evt-1', now: '2026-05-01T10:00:00.000Z' },
  );
  let record: OrderRecord = { order: placed.order, pendingEvent: undefined };
  commands.forEach((command, index) => {
    const decision = decideCommand(record, command, {
      eventId: `evt-${index + 2}`,
      now: `2026-05-01T10:0${index + 1}:00.000Z`,
    });
    if (decision.kind !== 'apply') throw new Error(`setup: ${command.type} was not applied`);
    const { order, lastCommand, commandKeys } = decision;
    record = { order, pendingEvent: undefined, lastCommand, commandKeys };
  });
  return record;
}
