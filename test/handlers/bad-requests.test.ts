import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { createOrderBody, fieldsOf } from '../support/order-fixtures.js';
import type { OrderHandlers } from '../support/order-world.js';
import {
  getOrderEvent,
  importOrderHandlers,
  invoke,
  OrderWorld,
  orderCommandEvent,
} from '../support/order-world.js';

const world = new OrderWorld();
let handlers: OrderHandlers;

const ORDER_ID = '1b4e28ba-2fa1-4d2b-883f-0016d3cca427';
const BODY = createOrderBody();
const ITEM = { sku: 'SKU-1', quantity: 2, unitPrice: 1999 } as const;

type Headers = Record<string, string | undefined>;

/** A request to one of the handlers. */
interface Request {
  handler: keyof OrderHandlers;
  event: APIGatewayProxyEventV2;
}

type BadRequestStatus = 400 | 404 | 413 | 415;

/** `[name, status, field, request]`: `field` is what `errors` must name; for a 404, the id that `detail` names. */
type BadRequest = [string, BadRequestStatus, string, Request];

const PROBLEM_TYPES: Record<BadRequestStatus, string> = {
  400: '/problems/invalid-request',
  404: '/problems/order-not-found',
  413: '/problems/payload-too-large',
  415: '/problems/unsupported-media-type',
};

function create(body: unknown, headers: Headers = {}): Request {
  return { handler: 'createOrder', event: apiEvent({ method: 'POST', path: '/orders', body, headers }) };
}

function createRaw(rawBody: string): Request {
  const headers = { 'content-type': 'application/json' };
  return { handler: 'createOrder', event: apiEvent({ method: 'POST', path: '/orders', rawBody, headers }) };
}

function withItem(item: Record<string, unknown>): unknown {
  return { ...BODY, items: [item] };
}

function without(field: 'customerId' | 'currency' | 'items'): unknown {
  const { [field]: _removed, ...body } = BODY;
  return body;
}

function withoutItemField(field: keyof typeof ITEM): unknown {
  const { [field]: _removed, ...item } = ITEM;
  return withItem(item);
}

function command(name: 'pay' | 'cancel', body: unknown, headers: Headers = {}, orderId = ORDER_ID): Request {
  const event = orderCommandEvent(name, orderId, body, headers);
  return { handler: name === 'pay' ? 'payOrder' : 'cancelOrder', event };
}

const pay = (body: unknown, headers: Headers = {}, orderId = ORDER_ID) =>
  command('pay', body, headers, orderId);
const cancel = (body: unknown, headers: Headers = {}, orderId = ORDER_ID) =>
  command('cancel', body, headers, orderId);

function read(orderId: string): Request {
  return { handler: 'getOrder', event: getOrderEvent(orderId) };
}

const TOO_LARGE = JSON.stringify({ ...BODY, note: 'x'.repeat(64 * 1024) });
const LONG_ID = 'o'.repeat(65);

const BAD_REQUESTS: ReadonlyArray<BadRequest> = [
  // createOrder: the body as a whole
  ['create: malformed JSON', 400, 'body', createRaw('{"customerId": "cust_42",')],
  ['create: text/plain content type', 415, 'Content-Type', create(BODY, { 'content-type': 'text/plain' })],
  ['create: form content type', 415, 'Content-Type', create(BODY, { 'content-type': 'multipart/form-data' })],
  [
    'create: missing content type with a body',
    415,
    'Content-Type',
    create(BODY, { 'content-type': undefined }),
  ],
  ['create: body over 64 KiB', 413, 'body', createRaw(TOO_LARGE)],
  ['create: no body', 400, 'body', create(undefined)],
  ['create: body is an array', 400, 'body', create([BODY])],
  ['create: body is null', 400, 'body', create(null)],
  // createOrder: unknown and missing fields
  ['create: unknown top-level field', 400, 'coupon', create({ ...BODY, coupon: 'FREE' })],
  ['create: unknown item field', 400, 'items[0].colour', create(withItem({ ...ITEM, colour: 'red' }))],
  ['create: missing customerId', 400, 'customerId', create(without('customerId'))],
  ['create: missing currency', 400, 'currency', create(without('currency'))],
  ['create: missing items', 400, 'items', create(without('items'))],
  ['create: missing sku', 400, 'items[0].sku', create(withoutItemField('sku'))],
  ['create: missing quantity', 400, 'items[0].quantity', create(withoutItemField('quantity'))],
  ['create: missing unitPrice', 400, 'items[0].unitPrice', create(withoutItemField('unitPrice'))],
  // createOrder: wrong types
  ['create: quantity as a string', 400, 'items[0].quantity', create(withItem({ ...ITEM, quantity: '2' }))],
  ['create: customerId as a number', 400, 'customerId', create({ ...BODY, customerId: 42 })],
  ['create: items not an array', 400, 'items', create({ ...BODY, items: ITEM })],
  ['create: an item that is not an object', 400, 'items[0]', create({ ...BODY, items: ['SKU-1'] })],
  // createOrder: numbers out of their rules
  ['create: negative unitPrice', 400, 'items[0].unitPrice', create(withItem({ ...ITEM, unitPrice: -1 }))],
  [
    'create: fractional unitPrice',
    400,
    'items[0].unitPrice',
    create(withItem({ ...ITEM, unitPrice: 19.99 })),
  ],
  [
    'create: unitPrice 10000001',
    400,
    'items[0].unitPrice',
    create(withItem({ ...ITEM, unitPrice: 10_000_001 })),
  ],
  ['create: quantity 0', 400, 'items[0].quantity', create(withItem({ ...ITEM, quantity: 0 }))],
  ['create: quantity 1001', 400, 'items[0].quantity', create(withItem({ ...ITEM, quantity: 1001 }))],
  ['create: fractional quantity', 400, 'items[0].quantity', create(withItem({ ...ITEM, quantity: 1.5 }))],
  [
    'create: a bad second item',
    400,
    'items[1].quantity',
    create({ ...BODY, items: [ITEM, { ...ITEM, quantity: -3 }] }),
  ],
  // createOrder: strings out of their rules
  ['create: customerId with /', 400, 'customerId', create({ ...BODY, customerId: 'cust/42' })],
  ['create: customerId with +', 400, 'customerId', create({ ...BODY, customerId: 'cust+42' })],
  ['create: customerId with #', 400, 'customerId', create({ ...BODY, customerId: 'cust#42' })],
  ['create: customerId of 65 characters', 400, 'customerId', create({ ...BODY, customerId: 'c'.repeat(65) })],
  ['create: empty customerId', 400, 'customerId', create({ ...BODY, customerId: '' })],
  ['create: 0 items', 400, 'items', create({ ...BODY, items: [] })],
  ['create: 51 items', 400, 'items', create({ ...BODY, items: Array.from({ length: 51 }, () => ITEM) })],
  ['create: lower-case sku', 400, 'items[0].sku', create(withItem({ ...ITEM, sku: 'sku-1' }))],
  ['create: sku of 33 characters', 400, 'items[0].sku', create(withItem({ ...ITEM, sku: 'S'.repeat(33) }))],
  ['create: lower-case currency', 400, 'currency', create({ ...BODY, currency: 'eur' })],
  ['create: four-letter currency', 400, 'currency', create({ ...BODY, currency: 'EURO' })],
  ['create: upper-case region', 400, 'region', create({ ...BODY, region: 'EU-WEST' })],
  ['create: region without a dash', 400, 'region', create({ ...BODY, region: 'euwest' })],
  // createOrder: the Idempotency-Key header
  [
    'create: Idempotency-Key of 129 chars',
    400,
    'Idempotency-Key',
    create(BODY, { 'idempotency-key': 'k'.repeat(129) }),
  ],
  [
    'create: Idempotency-Key with a space',
    400,
    'Idempotency-Key',
    create(BODY, { 'idempotency-key': 'order 1' }),
  ],
  [
    'create: Idempotency-Key with a slash',
    400,
    'Idempotency-Key',
    create(BODY, { 'idempotency-key': 'orders/1' }),
  ],
  ['create: empty Idempotency-Key', 400, 'Idempotency-Key', create(BODY, { 'idempotency-key': '' })],
  // payOrder
  ['pay: fractional amount', 400, 'amount', pay({ amount: 44.98 })],
  ['pay: negative amount', 400, 'amount', pay({ amount: -4498 })],
  ['pay: amount as a string', 400, 'amount', pay({ amount: '4498' })],
  ['pay: missing amount', 400, 'amount', pay({})],
  ['pay: no body', 400, 'body', pay(undefined)],
  ['pay: unknown field', 400, 'tip', pay({ amount: 4498, tip: 100 })],
  ['pay: bad Idempotency-Key', 400, 'Idempotency-Key', pay({ amount: 4498 }, { 'idempotency-key': 'pay#1' })],
  ['pay: malformed orderId', 404, 'not_an_order', pay({ amount: 4498 }, {}, 'not_an_order')],
  // cancelOrder
  ['cancel: reason of 501 characters', 400, 'reason', cancel({ reason: 'r'.repeat(501) })],
  ['cancel: reason not a string', 400, 'reason', cancel({ reason: 42 })],
  ['cancel: unknown field', 400, 'refund', cancel({ reason: 'late', refund: true })],
  [
    'cancel: text/plain content type',
    415,
    'Content-Type',
    cancel({ reason: 'late' }, { 'content-type': 'text/plain' }),
  ],
  ['cancel: malformed orderId', 404, LONG_ID, cancel({}, {}, LONG_ID)],
  // getOrder
  ['get: malformed orderId', 404, 'order.1', read('order.1')],
  ['get: orderId with a space', 404, 'order 1', read('order 1')],
];

beforeAll(async () => {
  handlers = await importOrderHandlers();
});

beforeEach(() => {
  world.reset();
});

afterAll(() => {
  world.restore();
});

describe('bad requests', () => {
  it('holds a corpus of at least 30 cases', () => {
    expect(BAD_REQUESTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(BAD_REQUESTS)(
    'refuses %s with a %i problem naming the field and no SDK call',
    async (_name, status, field, { handler, event }) => {
      // Act
      const response = await invoke(handlers[handler], event, lambdaContext());

      // Assess
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body).toMatchObject({
        type: PROBLEM_TYPES[status],
        title: expect.any(String),
        status,
        detail: expect.any(String),
        instance: event.rawPath,
      });
      if (status === 404) {
        expect(response.body.detail).toContain(`'${field}'`);
        expect(response.body).not.toHaveProperty('errors');
      } else {
        expect(fieldsOf(response.body)).toContain(field);
      }
      expect(world.documentClient).not.toHaveReceivedAnyCommand();
      expect(world.dynamodb).not.toHaveReceivedAnyCommand();
      expect(world.sns).not.toHaveReceivedAnyCommand();
    },
  );
});
