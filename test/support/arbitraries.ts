import fc from 'fast-check';
import { MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from '../../shared/core/money.js';
import type { EventContext, Order, OrderCommand, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, placeOrder } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { CreateOrderBody, OrderItem } from '../../shared/core/order-schema.js';
import { MAX_CANCEL_REASON_LENGTH } from '../../shared/core/order-schema.js';
import type { Scan } from '../../shared/core/scan.js';

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
 * A device's scan. Its id comes mostly from a few, so that sequences resend a scan (a device that got no answer)
 * and scan again with another id (another device, another site); the rest within the field rules.
 */
export const scanArb: fc.Arbitrary<Scan> = fc.record(
  {
    scanId: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('scan-1', 'scan-2', 'scan-3') },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/) },
    ),
    scannedAt: fc
      .date({
        min: new Date('2020-01-01T00:00:00.000Z'),
        max: new Date('2099-12-31T23:59:59.999Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString()),
    siteId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    carrier: fc.constantFrom('DHL', 'UPS', 'La Poste', 'Royal Mail'),
    trackingNo: fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/),
  },
  { requiredKeys: ['scanId', 'scannedAt'] },
);

/**
 * A command as a client or `processOrder` may send it. The right payment amount depends on the order, so a pay is
 * planned as either "the total" or an offset from it that is never zero.
 */
export type PlannedCommand =
  | { type: 'pay'; amount: 'total' }
  | { type: 'pay'; amount: { offset: number } }
  | { type: 'cancel'; reason?: string }
  | { type: 'fulfil' }
  | { type: 'ship' | 'deliver'; scan: Scan };

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
  { weight: 3, arbitrary: fc.record({ type: fc.constant('ship' as const), scan: scanArb }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('deliver' as const), scan: scanArb }) },
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
    case 'ship':
    case 'deliver':
      return { type: plan.type, scan: plan.scan };
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

/**
 * Lives that walk the whole path — pay, fulfil, ship, deliver — with random steps mixed in (which may end the life
 * early) and some steps of the path sent again later (a client's retry, a device's resend).
 */
const wholePathStepsArb: fc.Arbitrary<CommandStep[]> = fc
  .record({
    ship: scanArb,
    deliver: scanArb,
    path: fc.array(fc.record({ context: eventContextArb, published: fc.boolean() }), {
      minLength: 4,
      maxLength: 4,
    }),
    mixedIn: fc.array(fc.record({ at: fc.nat(), step: commandStepArb }), { maxLength: 5 }),
    again: fc.array(
      fc.record({ of: fc.nat({ max: 3 }), at: fc.nat(), context: eventContextArb, published: fc.boolean() }),
      { maxLength: 3 },
    ),
  })
  .map(({ ship, deliver, path, mixedIn, again }) => {
    const plans: PlannedCommand[] = [
      { type: 'pay', amount: 'total' },
      { type: 'fulfil' },
      { type: 'ship', scan: ship },
      { type: 'deliver', scan: deliver },
    ];
    const steps: CommandStep[] = plans.map((plan, index) => ({
      plan,
      context: path[index]?.context ?? { eventId: `evt-${index}`, now: '2025-01-01T00:00:00.000Z' },
      published: path[index]?.published ?? true,
    }));
    for (const { at, step } of mixedIn) steps.splice(at % (steps.length + 1), 0, step);
    for (const { of, at, context, published } of again) {
      const plan = plans[of];
      const first = steps.findIndex((step) => step.plan === plan);
      if (plan === undefined || first === -1) continue;
      const after = first + 1;
      steps.splice(after + (at % (steps.length - after + 1)), 0, { plan, context, published });
    }
    return steps;
  });

/** Sequences long enough to reach every status and to retry in each of them. */
export const commandStepsArb: fc.Arbitrary<CommandStep[]> = fc.oneof(
  fc.array(commandStepArb, { maxLength: 12 }),
  wholePathStepsArb,
);

/** An order's life as the real core writes it: `OrderPlaced`, then the event of each command it allowed. */
export interface OrderHistory {
  /** The order after its last event. */
  order: Order;
  /** Its events in `seq` order (1..n), each with its own `eventId`. */
  events: OrderEvent[];
}

/**
 * Histories made by `placeOrder` and `decideCommand`: placed, then any planned pay/cancel/fulfil/ship/deliver steps, of which
 * those the order refuses leave no event. Every event has its own `eventId`, and time does not run backwards.
 */
export const orderHistoryArb: fc.Arbitrary<OrderHistory> = fc
  .record({
    orderId: orderIdArb,
    body: createOrderBodyArb,
    // Long enough to reach DELIVERED (pay, fulfil, ship, deliver) among refused steps now and then.
    plans: fc.array(plannedCommandArb, { maxLength: 8 }),
    contexts: fc.uniqueArray(eventContextArb, {
      selector: (context) => context.eventId,
      minLength: 9,
      maxLength: 9,
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
