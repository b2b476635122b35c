import { MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_PRICE } from './money.js';
import * as z from './zod.js';

/** Field rules of the HTTP API (README, "HTTP API"). Unknown fields are refused everywhere (strict objects). */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const ORDER_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const DEFAULT_REGION = 'eu-west';
export const MAX_CANCEL_REASON_LENGTH = 500;

/** The message for a missing field, or for one of the wrong JSON type. */
export const typeError =
  (expected: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `must be ${expected}`;

const minorUnits = (max: number) =>
  z.number({ error: typeError('an integer amount in minor units (e.g. cents)') }).check(
    // Range first, aborting: a huge number is out of range, not "a fraction" (`z.int()` also refuses unsafe integers).
    z.minimum(0, { error: 'must not be negative', abort: true }),
    z.maximum(max, { error: `must be at most ${max}`, abort: true }),
    z.int({ error: 'must be an integer in minor units (cents), not a fraction' }),
  );

const objectError = typeError('a JSON object');

/** A stock keeping unit: what an item is (the legacy ERP's `article` follows the same rule). */
export const skuSchema = z
  .string({ error: typeError('a string') })
  .check(z.regex(/^[A-Z0-9-]{1,32}$/, { error: 'must be 1-32 characters of A-Z, 0-9 and -' }));

/** How many of an item: a whole number from 1 to `MAX_QUANTITY` (the legacy ERP's `qty` too). */
export const quantitySchema = z
  .number({ error: typeError('a whole number') })
  .check(
    z.minimum(1, { error: 'must be at least 1', abort: true }),
    z.maximum(MAX_QUANTITY, { error: `must be at most ${MAX_QUANTITY}`, abort: true }),
    z.int({ error: 'must be a whole number' }),
  );

export const orderItemSchema = z.strictObject(
  {
    sku: skuSchema,
    quantity: quantitySchema,
    unitPrice: minorUnits(MAX_UNIT_PRICE),
  },
  { error: objectError },
);

export const createOrderBodySchema = z.strictObject(
  {
    customerId: z.string({ error: typeError('a string') }).check(
      z.regex(CUSTOMER_ID_PATTERN, {
        error:
          'must be 1-64 characters of A-Z, a-z, 0-9, _ and - (it becomes an MQTT topic level: no /, + or #)',
      }),
    ),
    currency: z
      .string({ error: typeError('a string') })
      .check(z.regex(/^[A-Z]{3}$/, { error: 'must be three upper-case letters, e.g. EUR' })),
    region: z._default(
      z
        .string({ error: typeError('a string') })
        .check(z.regex(/^[a-z]{2}-[a-z]+$/, { error: 'must look like eu-west' })),
      DEFAULT_REGION,
    ),
    items: z
      .array(orderItemSchema, { error: typeError('an array of items') })
      .check(
        z.minLength(1, { error: 'must hold at least 1 item' }),
        z.maxLength(MAX_ITEMS, { error: `must hold at most ${MAX_ITEMS} items` }),
      ),
  },
  { error: objectError },
);

export const payOrderBodySchema = z.strictObject(
  {
    amount: minorUnits(Number.MAX_SAFE_INTEGER),
  },
  { error: objectError },
);

export const cancelOrderBodySchema = z.strictObject(
  {
    reason: z.optional(
      z.string({ error: typeError('a string') }).check(
        z.maxLength(MAX_CANCEL_REASON_LENGTH, {
          error: `must be at most ${MAX_CANCEL_REASON_LENGTH} characters`,
        }),
      ),
    ),
  },
  { error: objectError },
);

export type OrderItem = z.infer<typeof orderItemSchema>;
export type CreateOrderBody = z.infer<typeof createOrderBodySchema>;
export type PayOrderBody = z.infer<typeof payOrderBodySchema>;
export type CancelOrderBody = z.infer<typeof cancelOrderBodySchema>;
