import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBusMessage } from '../../shared/core/bus-message.js';
import type { Order, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, placeOrder } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import {
  commandStepsArb,
  createOrderBodyArb,
  eventContextArb,
  orderIdArb,
  toCommand,
} from '../support/arbitraries.js';

const ENVELOPE_KEYS = ['customerId', 'data', 'eventId', 'occurredAt', 'orderId', 'seq', 'type'];

/** Every (order, event) pair a life of an order publishes: its placement and each applied command. */
const publishedArb = fc
  .record({ orderId: orderIdArb, body: createOrderBodyArb, placed: eventContextArb, steps: commandStepsArb })
  .map(({ orderId, body, placed, steps }) => {
    const placement = placeOrder(orderId, body, placed);
    const published: { order: Order; event: OrderEvent }[] = [placement];
    let record: OrderRecord = { order: placement.order, pendingEvent: undefined };
    for (const step of steps) {
      const decision = decideCommand(record, toCommand(step.plan, record.order.total), step.context);
      if (decision.kind !== 'apply') continue;
      published.push({ order: decision.order, event: decision.event });
      record = { order: decision.order, pendingEvent: undefined };
    }
    return published;
  });

describe('toBusMessage', () => {
  it('builds the SNS FIFO message of an OrderPlaced event', () => {
    // Prepare
    const { order, event } = placeOrder(
      'ord-1',
      {
        customerId: 'cust-42',
        currency: 'EUR',
        region: 'eu-west',
        items: [{ sku: 'TV-55', quantity: 1, unitPrice: 149_900 }],
      },
      { eventId: 'evt-1', now: '2025-03-01T10:00:00.000Z' },
    );

    // Act
    const message = toBusMessage(order, event);

    // Assess
    expect(message).toEqual({
      groupId: 'ord-1',
      deduplicationId: 'ord-1:1',
      body: JSON.stringify(event),
      attributes: { eventType: 'OrderPlaced', total: 149_900, currency: 'EUR', region: 'eu-west' },
    });
    expect(JSON.parse(message.body)).toEqual({
      eventId: 'evt-1',
      type: 'OrderPlaced',
      orderId: 'ord-1',
      customerId: 'cust-42',
      seq: 1,
      occurredAt: '2025-03-01T10:00:00.000Z',
      data: {
        currency: 'EUR',
        region: 'eu-west',
        items: [{ sku: 'TV-55', quantity: 1, unitPrice: 149_900 }],
        total: 149_900,
      },
    });
  });

  it('groups by orderId and deduplicates by orderId:seq, for every event of any order', () => {
    fc.assert(
      fc.property(publishedArb, (published) => {
        // Act
        const sent = published.map(({ order, event }) => ({ event, message: toBusMessage(order, event) }));

        // Assess
        for (const { event, message } of sent) {
          expect(message.groupId).toBe(event.orderId);
          expect(message.deduplicationId).toBe(`${event.orderId}:${event.seq}`);
        }
        expect(new Set(sent.map(({ message }) => message.groupId)).size).toBe(1);
        expect(new Set(sent.map(({ message }) => message.deduplicationId)).size).toBe(sent.length);
      }),
    );
  });

  it('carries the event envelope with exactly its seven keys as the body', () => {
    fc.assert(
      fc.property(publishedArb, (published) => {
        for (const { order, event } of published) {
          // Act
          const body = JSON.parse(toBusMessage(order, event).body) as Record<string, unknown>;

          // Assess
          expect(Object.keys(body).sort()).toEqual(ENVELOPE_KEYS);
          expect(body).toEqual(event);
        }
      }),
    );
  });

  it('sets the filter-policy attributes from the event type and the order', () => {
    fc.assert(
      fc.property(publishedArb, (published) => {
        for (const { order, event } of published) {
          expect(toBusMessage(order, event).attributes).toEqual({
            eventType: event.type,
            total: order.total,
            currency: order.currency,
            region: order.region,
          });
        }
      }),
    );
  });

  it('builds the same message again for a resumed event, whose deduplication id the topic has seen', () => {
    // Prepare
    const placed = placeOrder(
      'ord-2',
      {
        customerId: 'c',
        currency: 'USD',
        region: 'us-east',
        items: [{ sku: 'A', quantity: 3, unitPrice: 100 }],
      },
      { eventId: 'evt-1', now: '2025-03-01T10:00:00.000Z' },
    );
    const first = decideCommand(
      { order: placed.order, pendingEvent: undefined },
      { type: 'pay', amount: 300 },
      {
        eventId: 'evt-2',
        now: '2025-03-01T10:01:00.000Z',
      },
    );
    if (first.kind !== 'apply') throw new Error('setup: the pay was not applied');
    const retry = decideCommand(
      { order: first.order, pendingEvent: first.event },
      { type: 'pay', amount: 300 },
      {
        eventId: 'evt-3',
        now: '2025-03-01T10:02:00.000Z',
      },
    );

    // Act
    const messages = [first, retry].map((decision) =>
      decision.kind === 'reject' || decision.event === undefined
        ? undefined
        : toBusMessage(decision.order, decision.event),
    );

    // Assess
    expect(retry.kind).toBe('resume');
    expect(messages[1]).toEqual(messages[0]);
    expect(messages[1]?.deduplicationId).toBe('ord-2:2');
  });
});
