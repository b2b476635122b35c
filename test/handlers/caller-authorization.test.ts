import { PublishCommand } from '@aws-sdk/client-sns';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readCaller } from '../../shared/http/caller.js';
import { apiEvent, DEFAULT_CALLER_ID, lambdaContext } from '../support/api-event.js';
import { CREATE_ORDER_TOTAL, createOrderBody, orderIdOf } from '../support/order-fixtures.js';
import {
  getOrderEvent,
  invoke,
  OrderWorld,
  orderCommandEvent,
  useOrderWorld,
} from '../support/order-world.js';
import { httpSamples } from '../support/sample-events.js';

const world = new OrderWorld();
const handlers = useOrderWorld(world);

const ORDER_ID = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';
const OTHER_CUSTOMER = { sub: 'cust_7' };
const ADMIN = { sub: 'support_1', scope: 'openid orders/admin' };

function createOrderAs(claims: Record<string, string> | null, headers: Record<string, string> = {}) {
  return invoke(
    handlers.createOrder,
    apiEvent({ method: 'POST', path: '/orders', body: createOrderBody(), headers, claims }),
    lambdaContext(),
  );
}

function commandAs(command: 'pay' | 'cancel', claims: Record<string, string> | null) {
  const body = command === 'pay' ? { amount: CREATE_ORDER_TOTAL } : {};
  const handler = command === 'pay' ? handlers.payOrder : handlers.cancelOrder;
  return invoke(handler, orderCommandEvent(command, ORDER_ID, body, {}, claims), lambdaContext());
}

describe('who may do what: the token sub is the customer', () => {
  it('places an order for the caller itself', async () => {
    // Act
    const response = await createOrderAs({ sub: DEFAULT_CALLER_ID });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.body.customerId).toBe(DEFAULT_CALLER_ID);
  });

  it.each([
    ['another customer', OTHER_CUSTOMER],
    ['the admin scope', ADMIN],
  ])(
    'refuses with 403 an order placed for someone else by %s, writing and publishing nothing',
    async (_who, claims) => {
      // Act
      const response = await createOrderAs(claims);

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
      expect(response.rawBody).not.toContain(DEFAULT_CALLER_ID);
      expect(world.documentClient).not.toHaveReceivedCommand(PutCommand);
      expect(world.sns).not.toHaveReceivedCommand(PublishCommand);
    },
  );

  it("reads the caller's own order", async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await invoke(handlers.getOrder, getOrderEvent(ORDER_ID), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body.orderId).toBe(ORDER_ID);
  });

  it("refuses with 403 another customer's order, quoting nothing of it", async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await invoke(
      handlers.getOrder,
      getOrderEvent(ORDER_ID, OTHER_CUSTOMER),
      lambdaContext(),
    );

    // Assess
    expect(response.statusCode).toBe(403);
    expect(response.body).toMatchObject({ type: '/problems/forbidden', status: 403, orderId: ORDER_ID });
    expect(response.rawBody).not.toContain(DEFAULT_CALLER_ID);
    expect(response.body).not.toHaveProperty('total');
  });

  it("lets the orders/admin scope read any customer's order", async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await invoke(handlers.getOrder, getOrderEvent(ORDER_ID, ADMIN), lambdaContext());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body.customerId).toBe(DEFAULT_CALLER_ID);
  });

  it.each([
    ['pay', 'another customer', OTHER_CUSTOMER],
    ['pay', 'the admin scope', ADMIN],
    ['cancel', 'another customer', OTHER_CUSTOMER],
    ['cancel', 'the admin scope', ADMIN],
  ] as const)(
    'refuses with 403 a %s by %s, changing and publishing nothing',
    async (command, _who, claims) => {
      // Prepare
      const order = world.seedOrder(ORDER_ID, 'PLACED');

      // Act
      const response = await commandAs(command, claims);

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
      expect(world.documentClient).not.toHaveReceivedCommand(UpdateCommand);
      expect(world.documentClient).not.toHaveReceivedCommand(PutCommand);
      expect(world.sns).not.toHaveReceivedCommand(PublishCommand);
      expect(world.orders.item(ORDER_ID)).toMatchObject({ status: 'PLACED', version: order.version });
    },
  );

  it.each(['pay', 'cancel'] as const)('lets the customer %s its own order', async (command) => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const response = await commandAs(command, { sub: DEFAULT_CALLER_ID });

    // Assess
    expect(response.statusCode).toBe(202);
  });

  it("never replays one customer's response to another who sends the same Idempotency-Key", async () => {
    // Prepare
    const key = { 'idempotency-key': 'shared-key-1' };
    const first = await createOrderAs({ sub: DEFAULT_CALLER_ID }, key);

    // Act
    const second = await invoke(
      handlers.createOrder,
      apiEvent({
        method: 'POST',
        path: '/orders',
        body: createOrderBody({ customerId: OTHER_CUSTOMER.sub }),
        headers: key,
        claims: OTHER_CUSTOMER,
      }),
      lambdaContext(),
    );

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.customerId).toBe(OTHER_CUSTOMER.sub);
    expect(orderIdOf(second.body)).not.toBe(orderIdOf(first.body));
  });

  it.each([
    ['POST /orders', () => createOrderAs(null)],
    [
      'GET /orders/{orderId}',
      () => invoke(handlers.getOrder, getOrderEvent(ORDER_ID, null), lambdaContext()),
    ],
    ['POST /orders/{orderId}/pay', () => commandAs('pay', null)],
    ['POST /orders/{orderId}/cancel', () => commandAs('cancel', null)],
  ])(
    'answers 401 on %s when the event did not pass the authorizer, reading nothing',
    async (_route, send) => {
      // Act
      const response = await send();

      // Assess
      expect(response.statusCode).toBe(401);
      expect(response.body).toMatchObject({ type: '/problems/unauthenticated', status: 401 });
      expect(world.timeline()).toEqual([]);
    },
  );

  it.each(['', 'a/b', 'orders/+', 'x'.repeat(65)])(
    'refuses with 403 a token whose sub (%j) cannot be a customer id',
    async (sub) => {
      // Act
      const response = await createOrderAs({ sub });

      // Assess
      expect(response.statusCode).toBe(403);
      expect(world.timeline()).toEqual([]);
    },
  );
});

describe('the x-correlation-id of a request', () => {
  it('is echoed on a refusal too, so a client can quote it', async () => {
    // Act
    const response = await createOrderAs(OTHER_CUSTOMER, { 'x-correlation-id': 'support-ticket-77' });

    // Assess
    expect(response.statusCode).toBe(403);
    expect(response.headers['x-correlation-id']).toBe('support-ticket-77');
  });

  it('is the request id when the header is malformed, and the order is placed all the same', async () => {
    // Act
    const response = await createOrderAs({ sub: DEFAULT_CALLER_ID }, { 'x-correlation-id': 'not valid/#' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-correlation-id']).toMatch(/^req-\d{8}=$/);
    expect(world.publishedEvents()).toEqual([
      expect.objectContaining({ correlationId: response.headers['x-correlation-id'] }),
    ]);
  });
});

describe('the sample HTTP events of events/ (what `serverless invoke local -p` sends)', () => {
  const samples = httpSamples();

  it('are all there', () => {
    expect(samples.map(([name]) => name)).toEqual(
      expect.arrayContaining(['create-order.json', 'get-order.json']),
    );
  });

  it.each(samples)('%s carries the claims the JWT authorizer adds, of a customer', (_name, event) => {
    // Act
    const caller = readCaller(event);

    // Assess
    expect(caller.customerId).toMatch(/^cust-/);
  });

  it.each(
    samples.filter(
      ([name]) => name.startsWith('create-order') && !name.includes('invalid') && !name.includes('malformed'),
    ),
  )('%s places an order for the token’s own customer', (_name, event) => {
    // Act
    const body = JSON.parse(event.body ?? '{}') as { customerId?: unknown };

    // Assess
    expect(body.customerId).toBe(readCaller(event).customerId);
  });
});
