import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createOrderBodySchema,
  IDEMPOTENCY_KEY_PATTERN,
  ORDER_ID_PATTERN,
} from '../../shared/core/order-schema.js';
import { legacyIdempotencyKey, newEventContext, newOrderId, orderIdFor } from '../../shared/ids.js';
import { createOrderBodyArb, idempotencyKeyArb } from '../support/arbitraries.js';

/** 8-4-4-4-12 lower-case hex, version nibble 8 ("custom"), RFC 4122 variant (8, 9, a or b). */
const DERIVED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RANDOM_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('orderIdFor', () => {
  const body = createOrderBodySchema.parse({
    customerId: 'cust-42',
    currency: 'EUR',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1999 }],
  });

  it('derives the same id from the same key and request', () => {
    expect(orderIdFor('key-1', body)).toBe(orderIdFor('key-1', structuredClone(body)));
  });

  it('derives a different id from a different key or a different request', () => {
    // Act
    const ids = [
      orderIdFor('key-1', body),
      orderIdFor('key-2', body),
      orderIdFor('key-1', { ...body, currency: 'USD' }),
      orderIdFor('key-1', { ...body, items: [{ sku: 'BOOK-1', quantity: 3, unitPrice: 1999 }] }),
    ];

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('derives the same id from the same body sent with its fields in another order', () => {
    // Prepare
    const reordered = createOrderBodySchema.parse({
      items: [{ unitPrice: 1999, quantity: 2, sku: 'BOOK-1' }],
      region: 'eu-west',
      currency: 'EUR',
      customerId: 'cust-42',
    });

    // Act
    const id = orderIdFor('key-1', reordered);

    // Assess
    expect(id).toBe(orderIdFor('key-1', body));
  });

  it('is UUID-shaped and a valid order id, for any key and body', () => {
    fc.assert(
      fc.property(idempotencyKeyArb, createOrderBodyArb, (key, request) => {
        // Act
        const id = orderIdFor(key, request);

        // Assess
        expect(id).toMatch(DERIVED_ID);
        expect(id).toMatch(ORDER_ID_PATTERN);
        expect(orderIdFor(key, structuredClone(request))).toBe(id);
      }),
    );
  });

  it('derives different ids for different key and request pairs', () => {
    const pairArb = fc.tuple(idempotencyKeyArb, createOrderBodyArb);
    fc.assert(
      fc.property(pairArb, pairArb, ([keyA, requestA], [keyB, requestB]) => {
        fc.pre(keyA !== keyB || JSON.stringify(requestA) !== JSON.stringify(requestB));
        expect(orderIdFor(keyA, requestA)).not.toBe(orderIdFor(keyB, requestB));
      }),
    );
  });

  it('keeps keys with colons apart from the request that follows them', () => {
    expect(orderIdFor('a:1', 2)).not.toBe(orderIdFor('a', '1:2'));
    expect(orderIdFor('a:b', { c: 1 })).not.toBe(orderIdFor('a', 'b:{"c":1}'));
  });
});

describe('newOrderId', () => {
  it('returns a fresh random UUID that is a valid order id', () => {
    // Act
    const ids = [newOrderId(), newOrderId(), newOrderId()];

    // Assess
    for (const id of ids) {
      expect(id).toMatch(RANDOM_UUID);
      expect(id).toMatch(ORDER_ID_PATTERN);
    }
    expect(new Set(ids).size).toBe(3);
  });
});

describe('newEventContext', () => {
  it('returns a fresh event id and the current time as an ISO 8601 timestamp', () => {
    // Prepare
    const before = Date.now();

    // Act
    const first = newEventContext();
    const second = newEventContext();

    // Assess
    expect(first.eventId).toMatch(RANDOM_UUID);
    expect(second.eventId).not.toBe(first.eventId);
    expect(new Date(first.now).toISOString()).toBe(first.now);
    expect(Date.parse(first.now)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(first.now)).toBeLessThanOrEqual(Date.now());
  });
});

describe('the idempotency key of an ERP message', () => {
  const order = { account: 'ACME-01', erpOrderNo: 'PO-1' };

  it('is its AMQP messageId, or its account and order number when it has none', () => {
    expect(legacyIdempotencyKey('m-1', order)).toBe('amqp:m-1');
    expect(legacyIdempotencyKey(undefined, order)).toBe('erp:ACME-01:PO-1');
    expect(legacyIdempotencyKey('', order)).toBe('erp:ACME-01:PO-1');
  });

  it('always fits the Idempotency-Key rules, hashing a messageId that does not', () => {
    expect(legacyIdempotencyKey('id with spaces/and ünïcode', order)).toMatch(/^amqp-sha256:[0-9a-f]{64}$/);
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 300 }), { nil: undefined }), (messageId) => {
        expect(legacyIdempotencyKey(messageId, order)).toMatch(IDEMPOTENCY_KEY_PATTERN);
      }),
    );
  });

  it('tells two messageIds apart', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(legacyIdempotencyKey(a, order)).not.toBe(legacyIdempotencyKey(b, order));
      }),
    );
  });
});
