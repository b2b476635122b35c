import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/core/errors.js';
import {
  customerIdOfAccount,
  ERP_ACCOUNT_PATTERN,
  priceInMinorUnits,
  translateLegacyOrder,
} from '../../shared/core/legacy-order.js';
import { computeTotal, MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from '../../shared/core/money.js';
import { createOrderBodySchema } from '../../shared/core/order-schema.js';

type Json = Record<string, unknown>;

const validLine = (): Json => ({ article: 'BOOK-1', qty: 2, price: '19.99' });
const validMessage = (): Json => ({
  erpOrderNo: 'PO-2026-000123',
  account: 'ACME-01',
  ccy: 'EUR',
  lines: [validLine()],
});

/** The issues a message is refused with, as `field: detail`. */
function refusal(message: unknown): string[] {
  try {
    translateLegacyOrder(message);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.issues.map(({ field, detail }) => `${field}: ${detail}`);
    throw error;
  }
  throw new Error('the message was translated');
}

const accountArb = fc.stringMatching(ERP_ACCOUNT_PATTERN);
const priceArb = fc
  .tuple(fc.integer({ min: 0, max: MAX_UNIT_PRICE / 100 - 1 }), fc.integer({ min: 0, max: 99 }), fc.boolean())
  .map(([units, cents, padded]) =>
    cents === 0 && !padded ? `${units}` : `${units}.${String(cents).padStart(2, '0')}`,
  );
const lineArb = fc.record({
  article: fc.stringMatching(/^[A-Z0-9-]{1,32}$/),
  qty: fc.integer({ min: 1, max: MAX_QUANTITY }),
  price: priceArb,
});
const messageArb = fc.record({
  erpOrderNo: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/),
  account: accountArb,
  ccy: fc.constantFrom('EUR', 'USD', 'GBP', 'CHF'),
  lines: fc.array(lineArb, { minLength: 1, maxLength: MAX_ITEMS }),
});

describe('translating an ERP order', () => {
  it('makes a POST /orders command for the customer of its account, prices in cents', () => {
    // Act
    const translated = translateLegacyOrder(validMessage());

    // Assess
    expect(translated).toEqual({
      erpOrderNo: 'PO-2026-000123',
      account: 'ACME-01',
      body: {
        customerId: 'erp-ACME-01',
        currency: 'EUR',
        region: 'eu-west',
        items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1999 }],
      },
    });
  });

  it('turns every valid ERP message into a command the HTTP API would accept, with the same total to the cent', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const { body } = translateLegacyOrder(message);
        expect(createOrderBodySchema.safeParse(body).success).toBe(true);
        const expectedCents = message.lines.reduce(
          (sum, { qty, price }) => sum + qty * Math.round(Number(price) * 100),
          0,
        );
        expect(computeTotal(body.items)).toBe(expectedCents);
      }),
    );
  });

  it('reads a price from its digits, exactly, whatever a float would make of it', () => {
    expect(priceInMinorUnits('0.29')).toBe(29);
    expect(priceInMinorUnits('1.10')).toBe(110);
    expect(priceInMinorUnits('1.1')).toBe(110);
    expect(priceInMinorUnits('5')).toBe(500);
    expect(priceInMinorUnits('99999.99')).toBe(9_999_999);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_UNIT_PRICE }), (cents) => {
        const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
        expect(priceInMinorUnits(text)).toBe(cents);
      }),
    );
  });

  it('gives every account a customer id and a routing-key word without wildcards or separators', () => {
    fc.assert(
      fc.property(accountArb, (account) => {
        expect(customerIdOfAccount(account)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(account).not.toMatch(/[.*#/+]/);
      }),
    );
  });
});

describe('refusing an ERP message that can never be valid', () => {
  it.each([
    ['not an object', 'PO-1', ['body: must be a JSON object']],
    ['no order number', { ...validMessage(), erpOrderNo: undefined }, ['erpOrderNo: is required']],
    [
      'an account with a routing-key wildcard',
      { ...validMessage(), account: 'ACME.#' },
      ['account: must be 1-32 characters of A-Z, 0-9 and -, starting with a letter or digit'],
    ],
    [
      'a currency in lower case',
      { ...validMessage(), ccy: 'eur' },
      ['ccy: must be an ISO 4217 code: three upper-case letters, e.g. EUR'],
    ],
    ['no lines', { ...validMessage(), lines: [] }, ['lines: must hold at least 1 line']],
    [
      'a price as a number',
      { ...validMessage(), lines: [{ ...validLine(), price: 19.99 }] },
      ['lines[0].price: must be a decimal string such as "19.99"'],
    ],
    [
      'a price with three decimals',
      { ...validMessage(), lines: [{ ...validLine(), price: '19.999' }] },
      [
        'lines[0].price: must be a decimal string with at most two decimals, such as "19.99" (no sign, no exponent)',
      ],
    ],
    [
      'a negative price',
      { ...validMessage(), lines: [{ ...validLine(), price: '-1.00' }] },
      [
        'lines[0].price: must be a decimal string with at most two decimals, such as "19.99" (no sign, no exponent)',
      ],
    ],
    [
      'a price in exponent notation',
      { ...validMessage(), lines: [{ ...validLine(), price: '1e3' }] },
      [
        'lines[0].price: must be a decimal string with at most two decimals, such as "19.99" (no sign, no exponent)',
      ],
    ],
    [
      'a price over the limit',
      { ...validMessage(), lines: [{ ...validLine(), price: '100000.01' }] },
      ["lines[0].price: must be at most 100000 in the currency's major unit"],
    ],
    [
      'a fractional quantity',
      { ...validMessage(), lines: [{ ...validLine(), qty: 1.5 }] },
      ['lines[0].qty: must be a whole number'],
    ],
    [
      "orderflow's own field names",
      { ...validMessage(), customerId: 'cust-42' },
      ['customerId: is not a known field'],
    ],
  ])('%s', (_case, message, issues) => {
    expect(refusal(message)).toEqual(issues);
  });

  it('names every bad field at once, so that the ERP team fixes the message in one go', () => {
    const issues = refusal({
      erpOrderNo: '',
      account: 'acme',
      ccy: 'EUR',
      lines: [{ article: 'x', qty: 0, price: '1' }],
    });
    expect(issues.map((issue) => issue.split(':')[0])).toEqual([
      'erpOrderNo',
      'account',
      'lines[0].article',
      'lines[0].qty',
    ]);
  });
});
