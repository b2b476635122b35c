import fc from 'fast-check';
import { MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from '../../shared/core/money.js';
import type { EventContext, Order, OrderCommand, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, placeOrder } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { CreateOrderBody, OrderItem } from '../../shared/core/order-schema.js';
import { MAX_CANCEL_REASON_LENGTH } from '../../shared/core/order-schema.js';

/** Values within the field rules of the HTTP API. */
export const customerIdArb: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
export const currencyArb: fc.Arbitrary<string> = fc.stringMatching(/^[A-Z]{3}$/);
export const regionArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('eu-west', 'us-east', 'ap-southeast'),
  fc.stringMatching(/^[a-z]{2}-[a-z]{1,16}$/),
);
export const skuArb: fc.Arbitrary<string> = fc.stringMatching(/^[A-Z0-9-]{1,32}$/);
export const quantityArb: fc.Arbitrary<number> = fc.integer({ min: 1, max: MAX_QUANTITY });
export const unitPriceArb: fc.Arbitrary<number> = fc.integer({ min: 0, max: MAX_UNIT_PRICE });
export const orderIdArb: fc.Arbitrary<string> = fc.uuid();
export const idempotencyKeyArb: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);

export const orderItemArb: fc.Arbitrary<OrderItem> = fc.record({
  sku: skuArb,
  quantity: quantityArb,
  unitPrice: unitPriceArb,
});

/** 1–50 items; now and then every line at its largest, the case that bounds every total. */
export const orderItemsArb: fc.Arbitrary<OrderItem[]> = fc.oneof(
  { weight: 4, arbitrary: fc.array(orderItemArb, { minLength: 1, maxLength: MAX_ITEMS }) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record({ sku: skuArb, quantity: fc.constant(MAX_QUANTITY), unitPrice: fc.constant(MAX_UNIT_PRICE) }),
      { minLength: 1, maxLength: MAX_ITEMS },
    ),
  },
);

/** A valid request body as a client sends it: `region` may be left out. */
export const createOrderRequestArb: fc.Arbitrary<{
  customerId: string;
  currency: string;
  region?: string;
  items: OrderItem[];
}> = fc.record(
  { customerId: customerIdArb, currency: currencyArb, region: regionArb, items: orderItemsArb },
  { requiredKeys: ['customerId', 'currency', 'items'] },
);

/** A body as the schema hands it to the core: `region` always present. */
export const createOrderBodyArb: fc.Arbitrary<CreateOrderBody> = fc.record({
  customerId: customerIdArb,
  currency: currencyArb,
  region: regionArb,
  items: orderItemsArb,
});

export const eventContextArb: fc.Arbitrary<EventContext> = fc.record({
  eventId: fc.uuid(),
  now: fc
    .date({
      min: new Date('2020-01-01T00:00:00.000Z'),
      max: new Date('2099-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    })
    .map((date) => date.toISOString()),
});

export const cancelReasonArb: fc.Arbitrary<string> = fc.string({ maxLength: MAX_CANCEL_REASON_LENGTH });

/**
 * A command as a client or `processOrder` may send it. The right payment amount depends on the order, so a pay is
 * planned as either "the total" or an offset from it that is never zero.
 */
export type PlannedCommand =
  | { type: 'pay'; amount: 'total' }
  | { type: 'pay'; amount: { offset: number } }
  | { type: 'cancel'; reason?: string }
  | { type: 'fulfil' };

export const plannedCommandArb: fc.Arbitrary<PlannedCommand> = fc.oneof(
  // Weighted so that sequences get past PLACED often: cancelling early ends most lives.
  { weight: 4, arbitrary: fc.constant({ type: 'pay', amount: 'total' } as const) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('pay' as const),
      amount: fc.record({
        offset: fc.oneof(fc.integer({ min: -1_000_000, max: -1 }), fc.integer({ min: 1, max: 1_000_000 })),
      }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'cancel' } as const) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('cancel' as const),
      reason: fc.constantFrom('', 'changed my mind', 'late'),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ type: 'fulfil' } as const) },
);

/** The command a plan stands for, against an order of `total`. A wrong amount is kept non-negative. */
export function toCommand(plan: PlannedCommand, total: number): OrderCommand {
  switch (plan.type) {
    case 'pay': {
      if (plan.amount === 'total') return { type: 'pay', amount: total };
      const shifted = total + plan.amount.offset;
      return { type: 'pay', amount: shifted >= 0 ? shifted : total + Math.abs(plan.amount.offset) };
    }
    case 'cancel':
      return plan.reason === undefined ? { type: 'cancel' } : { type: 'cancel', reason: plan.reason };
    case 'fulfil':
      return { type: 'fulfil' };
  }
}

/** One step of an order's life: a command, and whether publishing the event it wrote (if any) succeeded. */
export interface CommandStep {
  plan: PlannedCommand;
  context: EventContext;
  published: boolean;
}

export const commandStepArb: fc.Arbitrary<CommandStep> = fc.record({
  plan: plannedCommandArb,
  context: eventContextArb,
  published: fc.boolean(),
});

/** Sequences long enough to reach every status and to retry in each of them. */
export const commandStepsArb: fc.Arbitrary<CommandStep[]> = fc.array(commandStepArb, { maxLength: 12 });

/** An order's life as the real core writes it: `OrderPlaced`, then the event of each command it allowed. */
export interface OrderHistory {
  /** The order after its last event. */
  order: Order;
  /** Its events in `seq` order (1..n), each with its own `eventId`. */
  events: OrderEvent[];
}

/**
 * Histories made by `placeOrder` and `decideCommand`: placed, then any planned pay/cancel/fulfil steps, of which
 * those the order refuses leave no event. Every event has its own `eventId`, and time does not run backwards.
 */
export const orderHistoryArb: fc.Arbitrary<OrderHistory> = fc
  .record({
    orderId: orderIdArb,
    body: createOrderBodyArb,
    plans: fc.array(plannedCommandArb, { maxLength: 6 }),
    contexts: fc.uniqueArray(eventContextArb, {
      selector: (context) => context.eventId,
      minLength: 7,
      maxLength: 7,
    }),
  })
  .map(({ orderId, body, plans, contexts }) => {
    const times = contexts.map((context) => context.now).sort();
    const contextAt = (index: number): EventContext => ({
      eventId: contexts[index]?.eventId ?? `evt-${index}`,
      now: times[index] ?? '2025-01-01T00:00:00.000Z',
    });
    const placed = placeOrder(orderId, body, contextAt(0));
    let record: OrderRecord = { order: placed.order, pendingEvent: undefined };
    const events: OrderEvent[] = [placed.event];
    plans.forEach((plan, index) => {
      const decision = decideCommand(record, toCommand(plan, record.order.total), contextAt(index + 1));
      if (decision.kind !== 'apply') return;
      record = { order: decision.order, pendingEvent: undefined };
      events.push(decision.event);
    });
    return { order: record.order, events };
  });
