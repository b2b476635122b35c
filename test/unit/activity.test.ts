import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activityOf, statusChangeOf } from '../../shared/core/activity.js';
import { toBusMessage } from '../../shared/core/bus-message.js';
import type { OrderCommand } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';
import { nextStatus, TRANSITIONS } from '../../shared/core/status-machine.js';
import { orderHistoryArb } from '../support/arbitraries.js';
import { HISTORY_ORDER_ID, historyOf } from '../support/order-history.js';

const attributes = { total: 3998, currency: 'EUR', region: 'eu-west' };

/** The last event of an order placed and then taken through `commands` by the real core. */
function lastEventAfter(commands: readonly OrderCommand['type'][]): OrderEvent {
  const last = historyOf(commands).events.at(-1);
  if (last === undefined) throw new Error('setup: a history has at least its OrderPlaced');
  return last;
}

describe('statusChangeOf', () => {
  it.each<{
    path: OrderCommand['type'][];
    type: OrderEvent['type'];
    status: OrderStatus;
    previousStatus: OrderStatus | null;
  }>([
    { path: [], type: 'OrderPlaced', status: 'PLACED', previousStatus: null },
    { path: ['pay'], type: 'OrderPaid', status: 'PAID', previousStatus: 'PLACED' },
    { path: ['cancel'], type: 'OrderCancelled', status: 'CANCELLED', previousStatus: 'PLACED' },
    { path: ['pay', 'cancel'], type: 'OrderCancelled', status: 'CANCELLED', previousStatus: 'PAID' },
    { path: ['pay', 'fulfil'], type: 'OrderFulfilled', status: 'FULFILLED', previousStatus: 'PAID' },
    {
      path: ['pay', 'fulfil', 'ship'],
      type: 'OrderShipped',
      status: 'SHIPPED',
      previousStatus: 'FULFILLED',
    },
    {
      path: ['pay', 'fulfil', 'ship', 'deliver'],
      type: 'OrderDelivered',
      status: 'DELIVERED',
      previousStatus: 'SHIPPED',
    },
  ])('turns $type after [$path] into $previousStatus → $status', ({ path, type, status, previousStatus }) => {
    // Prepare
    const event = lastEventAfter(path);

    // Act
    const change = statusChangeOf(event);

    // Assess
    expect(event.type).toBe(type);
    expect(change).toEqual({ status, previousStatus });
  });

  it('makes every change one the status machine allows', () => {
    fc.assert(
      fc.property(orderHistoryArb, ({ events }) => {
        for (const event of events) {
          // Act
          const { status, previousStatus } = statusChangeOf(event);

          // Assess
          if (previousStatus === null) {
            expect(event.type).toBe('OrderPlaced');
            expect(status).toBe('PLACED');
            continue;
          }
          const command = Object.values(TRANSITIONS).find((transition) => transition.event === event.type);
          expect(command?.to).toBe(status);
          const allowed = (['pay', 'cancel', 'fulfil', 'ship', 'deliver'] as const).some(
            (type) => TRANSITIONS[type].event === event.type && nextStatus(previousStatus, type) === status,
          );
          expect(allowed).toBe(true);
        }
      }),
    );
  });
});

describe('activityOf', () => {
  it('builds the activity record from the envelope and the message attributes', () => {
    // Prepare
    const event = lastEventAfter(['pay', 'cancel']);

    // Act
    const record = activityOf(event, attributes);

    // Assess
    expect(record).toEqual({
      eventId: 'evt-3',
      orderId: HISTORY_ORDER_ID,
      customerId: 'cust-42',
      status: 'CANCELLED',
      previousStatus: 'PAID',
      total: 3998,
      currency: 'EUR',
      region: 'eu-west',
      seq: 3,
      occurredAt: '2025-03-01T10:02:00.000Z',
    });
  });

  it('carries the eventId, order, seq and time of its event and the money and region of its attributes', () => {
    fc.assert(
      fc.property(orderHistoryArb, ({ order, events }) => {
        for (const event of events) {
          // Prepare: the attributes the intake publishes the event with.
          const { attributes: published } = toBusMessage(order, event);

          // Act
          const record = activityOf(event, published);

          // Assess
          expect(record).toEqual({
            eventId: event.eventId,
            orderId: order.orderId,
            customerId: order.customerId,
            ...statusChangeOf(event),
            total: order.total,
            currency: order.currency,
            region: order.region,
            seq: event.seq,
            occurredAt: event.occurredAt,
          });
        }
      }),
    );
  });

  it('chains the records of a history: each previousStatus is the status before it, the first has none', () => {
    fc.assert(
      fc.property(orderHistoryArb, ({ order, events }) => {
        // Act
        const records = events.map((event) => activityOf(event, toBusMessage(order, event).attributes));

        // Assess
        expect(records[0]?.previousStatus).toBeNull();
        records.forEach((record, index) => {
          if (index > 0) expect(record.previousStatus).toBe(records[index - 1]?.status);
          expect(record.seq).toBe(index + 1);
        });
        expect(records.at(-1)?.status).toBe(order.status);
        expect(new Set(records.map((record) => record.eventId)).size).toBe(records.length);
      }),
    );
  });
});
