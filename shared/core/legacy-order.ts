/**
 * The legacy ERP's order message, and its translation into orderflow's own `POST /orders` command: an
 * anti-corruption layer. The ERP keeps its own words (`erpOrderNo`, `account`, `lines`, `article`, `qty`, `price`,
 * `ccy`); nothing of them leaks past `translateLegacyOrder`, and every refusal names the ERP's field.
 *
 * @example
 * {
 *   "erpOrderNo": "PO-2026-000123",
 *   "account": "ACME-01",
 *   "ccy": "EUR",
 *   "lines": [{ "article": "BOOK-1", "qty": 2, "price": "19.99" }]
 * }
 */
import { ValidationError } from './errors.js';
import { toFieldIssues } from './field-issues.js';
import { MAX_ITEMS, MAX_UNIT_PRICE } from './money.js';
import {
  type CreateOrderBody,
  DEFAULT_REGION,
  quantitySchema,
  skuSchema,
  typeError,
} from './order-schema.js';
import * as z from './zod.js';

/**
 * An ERP account: it names the customer (`erp-<account>`) and the status routing key (`erp.<account>`), so it has
 * neither the AMQP topic wildcards (`*`, `#`) nor `.`, nor MQTT's `/`, `+` and `#`.
 */
export const ERP_ACCOUNT_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,31}$/;
export const ERP_ORDER_NO_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
/** A price in the currency's major unit with at most two decimals, as text: `"19.99"`, `"5"`, `"0.50"`. */
export const ERP_PRICE_PATTERN = /^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$/;

/**
 * What starts the customer id of every ERP account (`erp-<account>`): how the rest of orderflow tells an ERP order's
 * customer from an HTTP one without a lookup.
 */
export const ERP_CUSTOMER_PREFIX = 'erp-';

/** The customer an ERP account places orders as. */
export function customerIdOfAccount(account: string): string {
  return `${ERP_CUSTOMER_PREFIX}${account}`;
}

const erpLineSchema = z.strictObject(
  {
    article: skuSchema,
    qty: quantitySchema,
    price: z.string({ error: typeError('a decimal string such as "19.99"') }).check(
      z.regex(ERP_PRICE_PATTERN, {
        error: 'must be a decimal string with at most two decimals, such as "19.99" (no sign, no exponent)',
        abort: true,
      }),
      z.refine((price) => priceInMinorUnits(price) <= MAX_UNIT_PRICE, {
        error: `must be at most ${MAX_UNIT_PRICE / 100} in the currency's major unit`,
      }),
    ),
  },
  { error: typeError('a JSON object') },
);

export const legacyOrderSchema = z.strictObject(
  {
    erpOrderNo: z.string({ error: typeError('a string') }).check(
      z.regex(ERP_ORDER_NO_PATTERN, {
        error: 'must be 1-40 characters of A-Z, a-z, 0-9, . _ and -, starting with a letter or digit',
      }),
    ),
    account: z.string({ error: typeError('a string') }).check(
      z.regex(ERP_ACCOUNT_PATTERN, {
        error: 'must be 1-32 characters of A-Z, 0-9 and -, starting with a letter or digit',
      }),
    ),
    ccy: z
      .string({ error: typeError('a string') })
      .check(
        z.regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code: three upper-case letters, e.g. EUR' }),
      ),
    lines: z
      .array(erpLineSchema, { error: typeError('an array of lines') })
      .check(
        z.minLength(1, { error: 'must hold at least 1 line' }),
        z.maxLength(MAX_ITEMS, { error: `must hold at most ${MAX_ITEMS} lines` }),
      ),
  },
  { error: typeError('a JSON object') },
);

export type LegacyOrder = z.infer<typeof legacyOrderSchema>;

/** An ERP order as orderflow takes it: the command, and the ERP's own references to answer with. */
export interface TranslatedLegacyOrder {
  body: CreateOrderBody;
  erpOrderNo: string;
  account: string;
}

/**
 * `"19.99"` → `1999`: exact, from the digits (never through a float). Orderflow counts every currency in
 * hundredths of its major unit, as the HTTP API does. Expects text that matches `ERP_PRICE_PATTERN`.
 */
export function priceInMinorUnits(price: string): number {
  const [units = '0', fraction = ''] = price.split('.');
  return Number(units) * 100 + Number(fraction.padEnd(2, '0'));
}

/**
 * Translates an ERP message (parsed JSON) into a `POST /orders` command for the customer of its account.
 *
 * @throws ValidationError naming each bad ERP field (`lines[0].price`): such a message can never be valid, and is
 *   rejected rather than retried.
 */
export function translateLegacyOrder(message: unknown): TranslatedLegacyOrder {
  const parsed = legacyOrderSchema.safeParse(message);
  if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error));
  const { erpOrderNo, account, ccy, lines } = parsed.data;
  return {
    erpOrderNo,
    account,
    body: {
      customerId: customerIdOfAccount(account),
      currency: ccy,
      region: DEFAULT_REGION,
      items: lines.map(({ article, qty, price }) => ({
        sku: article,
        quantity: qty,
        unitPrice: priceInMinorUnits(price),
      })),
    },
  };
}
