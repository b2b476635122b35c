import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldIssue } from '../../shared/core/errors.js';
import { toFieldIssues, toFieldName, toJsonPointer } from '../../shared/core/field-issues.js';
import {
  cancelOrderBodySchema,
  createOrderBodySchema,
  DEFAULT_REGION,
  payOrderBodySchema,
} from '../../shared/core/order-schema.js';
import type * as z from '../../shared/core/zod.js';
import { createOrderRequestArb } from '../support/arbitraries.js';

type Json = Record<string, unknown>;

const validItem = (): Json => ({ sku: 'BOOK-1', quantity: 2, unitPrice: 1999 });
const validBody = (): Json => ({
  customerId: 'cust-42',
  currency: 'EUR',
  region: 'us-east',
  items: [validItem()],
});

/** A valid body with `field` set to `value` (or removed, for `undefined`). */
const withField = (field: string, value: unknown): Json => {
  const body = validBody();
  if (value === undefined) delete body[field];
  else body[field] = value;
  return body;
};

/** A valid body whose item at `index` (of three) has `field` set to `value` (or removed). */
const withItemField = (field: string, value: unknown, index = 0): Json => {
  const items = [validItem(), validItem(), validItem()];
  const item = items[index] ?? {};
  if (value === undefined) delete item[field];
  else item[field] = value;
  return { ...validBody(), items };
};

/** The issues a schema reports for `input`, as the HTTP API shows them; `[]` when it parses. */
function issuesOf(schema: z.ZodMiniType, input: unknown): FieldIssue[] {
  const result = schema.safeParse(input);
  return result.success ? [] : toFieldIssues(result.error);
}

interface BadCase {
  name: string;
  input: unknown;
  field: string;
  pointer: string;
  detail?: string;
}

/** Every issue names `field` at `pointer`; there is at least one. */
function expectOnly(issues: readonly FieldIssue[], { field, pointer, detail }: BadCase): void {
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(issue.field).toBe(field);
    expect(issue.pointer).toBe(pointer);
    if (detail !== undefined) expect(issue.detail).toBe(detail);
  }
}

describe('createOrderBodySchema', () => {
  it.each<{ name: string; input: Json }>([
    { name: 'a one-character customerId', input: withField('customerId', 'a') },
    { name: 'a 64-character customerId', input: withField('customerId', `${'aZ9_-'.repeat(12)}abcd`) },
    { name: 'a customerId of every allowed kind', input: withField('customerId', 'Ab9_-') },
    { name: 'any three upper-case letters as currency', input: withField('currency', 'XYZ') },
    { name: 'a region of two letters, a dash and letters', input: withField('region', 'ap-southeast') },
    { name: 'no region', input: withField('region', undefined) },
    { name: '50 items', input: withField('items', Array.from({ length: 50 }, validItem)) },
    { name: 'a one-character sku', input: withItemField('sku', 'A') },
    { name: 'a 32-character sku', input: withItemField('sku', 'AB-9'.repeat(8)) },
    { name: 'quantity 1', input: withItemField('quantity', 1) },
    { name: 'quantity 1000', input: withItemField('quantity', 1000) },
    { name: 'unitPrice 0', input: withItemField('unitPrice', 0) },
    { name: 'unitPrice 10,000,000', input: withItemField('unitPrice', 10_000_000) },
  ])('accepts $name', ({ input }) => {
    expect(issuesOf(createOrderBodySchema, input)).toEqual([]);
  });

  it('defaults the region to eu-west', () => {
    expect(createOrderBodySchema.parse(withField('region', undefined))).toMatchObject({ region: 'eu-west' });
    expect(DEFAULT_REGION).toBe('eu-west');
  });

  const field = (name: string): Pick<BadCase, 'field' | 'pointer'> => ({ field: name, pointer: `#/${name}` });
  const itemField = (name: string, index = 0): Pick<BadCase, 'field' | 'pointer'> => ({
    field: `items[${index}].${name}`,
    pointer: `#/items/${index}/${name}`,
  });

  it.each<BadCase>([
    {
      name: 'a missing customerId',
      input: withField('customerId', undefined),
      ...field('customerId'),
      detail: 'is required',
    },
    { name: 'an empty customerId', input: withField('customerId', ''), ...field('customerId') },
    { name: 'a customerId with /', input: withField('customerId', 'a/b'), ...field('customerId') },
    { name: 'a customerId with +', input: withField('customerId', 'a+b'), ...field('customerId') },
    { name: 'a customerId with #', input: withField('customerId', 'a#b'), ...field('customerId') },
    { name: 'a customerId with a space', input: withField('customerId', 'a b'), ...field('customerId') },
    {
      name: 'a customerId with a trailing newline',
      input: withField('customerId', 'ab\n'),
      ...field('customerId'),
    },
    {
      name: 'a customerId with a non-ASCII letter',
      input: withField('customerId', 'ä'),
      ...field('customerId'),
    },
    {
      name: 'a 65-character customerId',
      input: withField('customerId', 'a'.repeat(65)),
      ...field('customerId'),
    },
    {
      name: 'a numeric customerId',
      input: withField('customerId', 42),
      ...field('customerId'),
      detail: 'must be a string',
    },
    {
      name: 'a null customerId',
      input: withField('customerId', null),
      ...field('customerId'),
      detail: 'must be a string',
    },
    {
      name: 'a missing currency',
      input: withField('currency', undefined),
      ...field('currency'),
      detail: 'is required',
    },
    { name: 'a lower-case currency', input: withField('currency', 'eur'), ...field('currency') },
    { name: 'a two-letter currency', input: withField('currency', 'EU'), ...field('currency') },
    { name: 'a four-letter currency', input: withField('currency', 'EURO'), ...field('currency') },
    { name: 'a currency with a digit', input: withField('currency', 'E1R'), ...field('currency') },
    { name: 'a numeric currency', input: withField('currency', 978), ...field('currency') },
    { name: 'a region with an underscore', input: withField('region', 'eu_west'), ...field('region') },
    { name: 'an upper-case region', input: withField('region', 'EU-west'), ...field('region') },
    { name: 'a region without a dash', input: withField('region', 'euwest'), ...field('region') },
    { name: 'a region with one letter first', input: withField('region', 'e-west'), ...field('region') },
    { name: 'a region with nothing after the dash', input: withField('region', 'eu-'), ...field('region') },
    { name: 'a region with a digit', input: withField('region', 'eu-west-1'), ...field('region') },
    { name: 'an empty region', input: withField('region', ''), ...field('region') },
    { name: 'a null region', input: withField('region', null), ...field('region') },
    { name: 'missing items', input: withField('items', undefined), ...field('items'), detail: 'is required' },
    { name: 'no items', input: withField('items', []), ...field('items') },
    { name: '51 items', input: withField('items', Array.from({ length: 51 }, validItem)), ...field('items') },
    { name: 'items that are an object', input: withField('items', validItem()), ...field('items') },
    {
      name: 'an item that is a string',
      input: withField('items', ['BOOK-1']),
      field: 'items[0]',
      pointer: '#/items/0',
    },
    {
      name: 'a missing sku',
      input: withItemField('sku', undefined),
      ...itemField('sku'),
      detail: 'is required',
    },
    { name: 'an empty sku', input: withItemField('sku', ''), ...itemField('sku') },
    { name: 'a lower-case sku', input: withItemField('sku', 'book-1'), ...itemField('sku') },
    { name: 'a sku with an underscore', input: withItemField('sku', 'BOOK_1'), ...itemField('sku') },
    { name: 'a sku with a slash', input: withItemField('sku', 'BOOK/1'), ...itemField('sku') },
    { name: 'a 33-character sku', input: withItemField('sku', 'A'.repeat(33)), ...itemField('sku') },
    { name: 'a numeric sku', input: withItemField('sku', 1), ...itemField('sku') },
    {
      name: 'a missing quantity',
      input: withItemField('quantity', undefined),
      ...itemField('quantity'),
      detail: 'is required',
    },
    { name: 'quantity 0', input: withItemField('quantity', 0), ...itemField('quantity') },
    { name: 'a negative quantity', input: withItemField('quantity', -1), ...itemField('quantity') },
    { name: 'quantity 1001', input: withItemField('quantity', 1001), ...itemField('quantity') },
    { name: 'a fractional quantity', input: withItemField('quantity', 1.5), ...itemField('quantity') },
    { name: 'a quantity as a string', input: withItemField('quantity', '1'), ...itemField('quantity') },
    {
      name: 'a bad quantity in the third item',
      input: withItemField('quantity', 0, 2),
      ...itemField('quantity', 2),
    },
    {
      name: 'a missing unitPrice',
      input: withItemField('unitPrice', undefined),
      ...itemField('unitPrice'),
      detail: 'is required',
    },
    { name: 'a negative unitPrice', input: withItemField('unitPrice', -1), ...itemField('unitPrice') },
    { name: 'a fractional unitPrice', input: withItemField('unitPrice', 19.99), ...itemField('unitPrice') },
    {
      name: 'unitPrice 10,000,001',
      input: withItemField('unitPrice', 10_000_001),
      ...itemField('unitPrice'),
    },
    { name: 'a unitPrice as a string', input: withItemField('unitPrice', '1999'), ...itemField('unitPrice') },
    { name: 'a null unitPrice', input: withItemField('unitPrice', null), ...itemField('unitPrice') },
    {
      name: 'an unknown field',
      input: withField('coupon', 'FREE'),
      ...field('coupon'),
      detail: 'is not a known field',
    },
    {
      name: 'an unknown item field',
      input: withItemField('discount', 5),
      ...itemField('discount'),
      detail: 'is not a known field',
    },
    {
      name: 'a body that is null',
      input: null,
      field: 'body',
      pointer: '#',
      detail: 'must be a JSON object',
    },
    {
      name: 'a body that is an array',
      input: [validBody()],
      field: 'body',
      pointer: '#',
      detail: 'must be a JSON object',
    },
    {
      name: 'a body that is a string',
      input: 'order',
      field: 'body',
      pointer: '#',
      detail: 'must be a JSON object',
    },
  ])('rejects $name, naming the field', (bad) => {
    expectOnly(issuesOf(createOrderBodySchema, bad.input), bad);
  });

  it('parses any valid body and gives it back with its region, round-tripping through JSON', () => {
    fc.assert(
      fc.property(createOrderRequestArb, (request) => {
        // Act
        const parsed = createOrderBodySchema.parse(JSON.parse(JSON.stringify(request)));

        // Assess
        expect(parsed).toEqual({ ...request, region: request.region ?? 'eu-west' });
        expect(createOrderBodySchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
      }),
    );
  });

  it('names the item and the field of a bad quantity in any valid body', () => {
    const badQuantityArb = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 1001 }),
      fc.double({ noInteger: true, noNaN: true }),
      fc.constantFrom(null, '1', true),
    );
    fc.assert(
      fc.property(
        createOrderRequestArb.chain((request) =>
          fc.tuple(fc.constant(request), fc.nat({ max: request.items.length - 1 }), badQuantityArb),
        ),
        ([request, index, quantity]) => {
          // Prepare
          const items = request.items.map((item, at) => (at === index ? { ...item, quantity } : item));

          // Act
          const issues = issuesOf(createOrderBodySchema, { ...request, items });

          // Assess
          expectOnly(issues, { name: '', input: null, ...itemField('quantity', index) });
        },
      ),
    );
  });

  it('names any unknown field added to a valid body', () => {
    const known = new Set(['customerId', 'currency', 'region', 'items']);
    fc.assert(
      fc.property(
        createOrderRequestArb,
        fc.oneof(
          fc.constantFrom('constructor', '__proto__', 'toString', 'customerid', 'items[0]', 'a.b'),
          fc.string({ minLength: 1 }).filter((key) => !known.has(key)),
        ),
        (request, key) => {
          // Act
          const issues = issuesOf(createOrderBodySchema, { ...request, [key]: 1 });

          // Assess
          expect(issues).toEqual([
            { field: key, pointer: toJsonPointer([key]), detail: 'is not a known field' },
          ]);
        },
      ),
    );
  });
});

describe('payOrderBodySchema', () => {
  it.each([0, 1, 3999, Number.MAX_SAFE_INTEGER])('accepts the amount %d', (amount) => {
    expect(payOrderBodySchema.parse({ amount })).toEqual({ amount });
  });

  const amount = { field: 'amount', pointer: '#/amount' };
  it.each<BadCase>([
    { name: 'a missing amount', input: {}, ...amount, detail: 'is required' },
    { name: 'a negative amount', input: { amount: -1 }, ...amount, detail: 'must not be negative' },
    { name: 'a fractional amount', input: { amount: 39.99 }, ...amount },
    { name: 'an amount as a string', input: { amount: '3999' }, ...amount },
    { name: 'a null amount', input: { amount: null }, ...amount },
    { name: 'an amount beyond the safe integers', input: { amount: 2 ** 53 }, ...amount },
    {
      name: 'an unknown field',
      input: { amount: 1, currency: 'EUR' },
      field: 'currency',
      pointer: '#/currency',
      detail: 'is not a known field',
    },
    {
      name: 'a body that is a number',
      input: 3999,
      field: 'body',
      pointer: '#',
      detail: 'must be a JSON object',
    },
  ])('rejects $name, naming the field', (bad) => {
    expectOnly(issuesOf(payOrderBodySchema, bad.input), bad);
  });
});

describe('cancelOrderBodySchema', () => {
  it.each<{ name: string; input: Json }>([
    { name: 'no reason', input: {} },
    { name: 'an empty reason', input: { reason: '' } },
    { name: 'a reason of 500 characters', input: { reason: 'r'.repeat(500) } },
  ])('accepts $name', ({ input }) => {
    expect(cancelOrderBodySchema.parse(input)).toEqual(input);
  });

  const reason = { field: 'reason', pointer: '#/reason' };
  it.each<BadCase>([
    { name: 'a reason of 501 characters', input: { reason: 'r'.repeat(501) }, ...reason },
    { name: 'a numeric reason', input: { reason: 42 }, ...reason, detail: 'must be a string' },
    { name: 'a null reason', input: { reason: null }, ...reason, detail: 'must be a string' },
    {
      name: 'an unknown field',
      input: { why: 'late' },
      field: 'why',
      pointer: '#/why',
      detail: 'is not a known field',
    },
  ])('rejects $name, naming the field', (bad) => {
    expectOnly(issuesOf(cancelOrderBodySchema, bad.input), bad);
  });
});

describe('toFieldIssues', () => {
  it('names each bad field with its path and JSON pointer', () => {
    // Prepare
    const body = { ...withItemField('quantity', 0), currency: 'eur' };

    // Act
    const issues = issuesOf(createOrderBodySchema, body);

    // Assess
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'currency', pointer: '#/currency', detail: 'must be three upper-case letters, e.g. EUR' },
        { field: 'items[0].quantity', pointer: '#/items/0/quantity', detail: 'must be at least 1' },
      ]),
    );
    expect(issues).toHaveLength(2);
  });

  it('names each unknown field on its own', () => {
    // Prepare
    const body = { ...validBody(), coupon: 'FREE', note: 'gift', items: [{ ...validItem(), discount: 5 }] };

    // Act
    const issues = issuesOf(createOrderBodySchema, body);

    // Assess
    expect(issues).toHaveLength(3);
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'coupon', pointer: '#/coupon', detail: 'is not a known field' },
        { field: 'note', pointer: '#/note', detail: 'is not a known field' },
        { field: 'items[0].discount', pointer: '#/items/0/discount', detail: 'is not a known field' },
      ]),
    );
  });

  it('says "is required" for each missing field, and nothing of the optional region', () => {
    expect(issuesOf(createOrderBodySchema, {})).toEqual([
      { field: 'customerId', pointer: '#/customerId', detail: 'is required' },
      { field: 'currency', pointer: '#/currency', detail: 'is required' },
      { field: 'items', pointer: '#/items', detail: 'is required' },
    ]);
    expect(issuesOf(createOrderBodySchema, { ...validBody(), items: [{}] })).toEqual([
      { field: 'items[0].sku', pointer: '#/items/0/sku', detail: 'is required' },
      { field: 'items[0].quantity', pointer: '#/items/0/quantity', detail: 'is required' },
      { field: 'items[0].unitPrice', pointer: '#/items/0/unitPrice', detail: 'is required' },
    ]);
  });

  it('escapes ~ and / of an unknown field in its JSON pointer', () => {
    expect(issuesOf(createOrderBodySchema, withField('a/b~c', 1))).toEqual([
      { field: 'a/b~c', pointer: '#/a~1b~0c', detail: 'is not a known field' },
    ]);
  });

  it('does not call an integer beyond the safe range a fraction', () => {
    // Act
    const issues = issuesOf(payOrderBodySchema, { amount: 2 ** 53 });

    // Assess
    expect(issues.map((issue) => issue.detail)).not.toContain(
      'must be an integer in minor units (cents), not a fraction',
    );
  });
});

describe('toFieldName and toJsonPointer', () => {
  it.each<{ path: (string | number)[]; name: string; pointer: string }>([
    { path: [], name: 'body', pointer: '#' },
    { path: ['customerId'], name: 'customerId', pointer: '#/customerId' },
    { path: ['items', 0, 'quantity'], name: 'items[0].quantity', pointer: '#/items/0/quantity' },
    { path: ['items', 12], name: 'items[12]', pointer: '#/items/12' },
    { path: ['a/b', 'c~d'], name: 'a/b.c~d', pointer: '#/a~1b/c~0d' },
    { path: ['~1'], name: '~1', pointer: '#/~01' },
  ])('turns $path into $name and $pointer', ({ path, name, pointer }) => {
    expect(toFieldName(path)).toBe(name);
    expect(toJsonPointer(path)).toBe(pointer);
  });
});
