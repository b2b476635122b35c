import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricedLine } from '../../shared/core/money.js';
import { computeTotal, MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from '../../shared/core/money.js';
import { placeOrder } from '../../shared/core/order.js';
import {
  createOrderBodySchema,
  orderItemSchema,
  payOrderBodySchema,
} from '../../shared/core/order-schema.js';
import { createOrderBodyArb, eventContextArb, orderIdArb, orderItemsArb } from '../support/arbitraries.js';

/** The largest total the limits allow: 50 items × 1000 units × 10,000,000. */
const MAX_TOTAL = 50 * 1000 * 10_000_000;

/** The same sum in BigInt arithmetic, which cannot round. */
const exactTotal = (lines: readonly PricedLine[]): bigint =>
  lines.reduce((sum, line) => sum + BigInt(line.quantity) * BigInt(line.unitPrice), 0n);

describe('money limits', () => {
  it('match the HTTP API field rules and keep the largest total a safe integer', () => {
    expect({ MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE }).toEqual({
      MAX_ITEMS: 50,
      MAX_QUANTITY: 1000,
      MAX_UNIT_PRICE: 10_000_000,
    });
    expect(Number.isSafeInteger(MAX_ITEMS * MAX_QUANTITY * MAX_UNIT_PRICE)).toBe(true);
  });
});

describe('computeTotal', () => {
  it.each<{ name: string; lines: PricedLine[]; total: number }>([
    {
      name: 'the example of its documentation',
      lines: [
        { quantity: 2, unitPrice: 1999 },
        { quantity: 1, unitPrice: 1 },
      ],
      total: 3999,
    },
    { name: 'no lines', lines: [], total: 0 },
    { name: 'free items', lines: [{ quantity: 1000, unitPrice: 0 }], total: 0 },
    { name: 'one cent', lines: [{ quantity: 1, unitPrice: 1 }], total: 1 },
    {
      name: 'every line at its limits',
      lines: Array.from({ length: 50 }, () => ({ quantity: 1000, unitPrice: 10_000_000 })),
      total: MAX_TOTAL,
    },
  ])('totals $name', ({ lines, total }) => {
    expect(computeTotal(lines)).toBe(total);
  });

  it('is a safe integer between 0 and the largest total, equal to the exact sum, for any valid items', () => {
    fc.assert(
      fc.property(orderItemsArb, (items) => {
        // Act
        const total = computeTotal(items);

        // Assess
        expect(Number.isSafeInteger(total)).toBe(true);
        expect(total).toBeGreaterThanOrEqual(0);
        expect(total).toBeLessThanOrEqual(MAX_TOTAL);
        expect(BigInt(total)).toBe(exactTotal(items));
      }),
    );
  });

  it('does not depend on the order of the lines', () => {
    fc.assert(
      fc.property(
        orderItemsArb.chain((items) =>
          fc.tuple(fc.constant(items), fc.shuffledSubarray(items, { minLength: items.length })),
        ),
        ([items, shuffled]) => {
          expect(computeTotal(shuffled)).toBe(computeTotal(items));
        },
      ),
    );
  });
});

describe('placeOrder total', () => {
  it('equals computeTotal and the exact sum of the items, for any valid body', () => {
    fc.assert(
      fc.property(orderIdArb, createOrderBodyArb, eventContextArb, (orderId, body, context) => {
        // Act
        const { order, event } = placeOrder(orderId, body, context);

        // Assess
        expect(order.total).toBe(computeTotal(body.items));
        expect(BigInt(order.total)).toBe(exactTotal(body.items));
        expect(event.data.total).toBe(order.total);
      }),
    );
  });
});

describe('money in the schemas', () => {
  const item = (unitPrice: number) => ({ sku: 'SKU-1', quantity: 1, unitPrice });
  const body = (unitPrice: number) => ({ customerId: 'c1', currency: 'EUR', items: [item(unitPrice)] });

  const fractionArb = fc.double({
    noInteger: true,
    noNaN: true,
    noDefaultInfinity: true,
    min: -1e12,
    max: 1e12,
  });
  const negativeArb = fc.bigInt({ min: BigInt(Number.MIN_SAFE_INTEGER), max: -1n }).map(Number);
  const tooLargeUnitPriceArb = fc
    .bigInt({ min: BigInt(MAX_UNIT_PRICE + 1), max: BigInt(Number.MAX_SAFE_INTEGER) })
    .map(Number);
  const badMoneyArb = fc.oneof(
    fractionArb,
    negativeArb,
    tooLargeUnitPriceArb,
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300),
  );

  it('accepts any integer unit price from 0 to 10,000,000', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_UNIT_PRICE }), (unitPrice) => {
        expect(orderItemSchema.safeParse(item(unitPrice)).success).toBe(true);
      }),
    );
  });

  it('rejects a fractional, negative or too large unit price, naming the field', () => {
    fc.assert(
      fc.property(badMoneyArb, (unitPrice) => {
        // Act
        const result = createOrderBodySchema.safeParse(body(unitPrice));

        // Assess
        expect(result.success).toBe(false);
        expect(result.error?.issues.map((issue) => issue.path)).toContainEqual(['items', 0, 'unitPrice']);
      }),
    );
  });

  it('rejects a fractional or negative payment amount', () => {
    fc.assert(
      fc.property(fc.oneof(fractionArb, negativeArb), (amount) => {
        expect(payOrderBodySchema.safeParse({ amount }).success).toBe(false);
      }),
    );
  });

  it('rejects a payment amount beyond the safe integers', () => {
    fc.assert(
      fc.property(fc.constantFrom(2 ** 53, 2 ** 60, 1e300, Number.POSITIVE_INFINITY), (amount) => {
        expect(payOrderBodySchema.safeParse({ amount }).success).toBe(false);
      }),
    );
  });

  it('accepts any non-negative safe integer payment amount', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (amount) => {
        expect(payOrderBodySchema.parse({ amount })).toEqual({ amount });
      }),
    );
  });
});
