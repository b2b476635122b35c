import { Tracer } from '@aws-lambda-powertools/tracer';
import { PublishCommand } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { clearMetrics, emittedMetrics, metricTotal } from '../support/emf.js';
import { CREATE_ORDER_TOTAL, createOrderBody } from '../support/order-fixtures.js';
import {
  getOrderEvent,
  invoke,
  OrderWorld,
  orderCommandEvent,
  snsThrottling,
  useOrderWorld,
} from '../support/order-world.js';

const world = new OrderWorld();
const handlers = useOrderWorld(world);

const ORDER_ID = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';
const STAGE = { service: 'orderflow', stage: 'test' };

function postOrder(body: unknown, headers: Record<string, string> = {}) {
  return invoke(
    handlers.createOrder,
    apiEvent({ method: 'POST', path: '/orders', body, headers }),
    lambdaContext(),
  );
}

function command(name: 'pay' | 'cancel', body: unknown, claims?: Record<string, string>) {
  const handler = name === 'pay' ? handlers.payOrder : handlers.cancelOrder;
  return invoke(handler, orderCommandEvent(name, ORDER_ID, body, {}, claims), lambdaContext());
}

/** The metrics of the invocations since the last `clearMetrics`, by name (the ones named), summed. */
function totals(...names: string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, metricTotal(name, STAGE)]));
}

const COUNTS = [
  'OrdersPlaced',
  'OrdersPaid',
  'OrdersCancelled',
  'IdempotentReplays',
  'RequestsFailed',
  'PublishFailures',
];

beforeEach(() => {
  clearMetrics();
});

describe('the HTTP functions’ EMF metrics (namespace orderflow, dimensions service and stage)', () => {
  it('counts a placed order once, and its replay as a replay', async () => {
    // Act
    const first = await postOrder(createOrderBody(), { 'idempotency-key': 'metrics-key-1' });
    const replay = await postOrder(createOrderBody(), { 'idempotency-key': 'metrics-key-1' });

    // Assess
    expect([first.statusCode, replay.statusCode]).toEqual([201, 201]);
    expect(totals(...COUNTS)).toEqual({ ...zero(COUNTS), OrdersPlaced: 1, IdempotentReplays: 1 });
    expect(emittedMetrics().every((set) => set.namespace === 'orderflow')).toBe(true);
  });

  it('counts a paid order and a cancelled one', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    const paid = await command('pay', { amount: CREATE_ORDER_TOTAL });
    const cancelled = await command('cancel', {});

    // Assess
    expect([paid.statusCode, cancelled.statusCode]).toEqual([202, 202]);
    expect(totals(...COUNTS)).toEqual({ ...zero(COUNTS), OrdersPaid: 1, OrdersCancelled: 1 });
  });

  it('counts each refusal (4xx) under its problem type, and nothing else', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'CANCELLED');

    // Act
    const answers = [
      await postOrder({ ...createOrderBody(), items: [] }),
      await postOrder(createOrderBody(), { 'idempotency-key': 'has space' }),
      await invoke(handlers.getOrder, getOrderEvent(ORDER_ID, null), lambdaContext()),
      await invoke(handlers.getOrder, getOrderEvent(ORDER_ID, { sub: 'cust_7' }), lambdaContext()),
      await invoke(handlers.getOrder, getOrderEvent('00000000-0000-4000-8000-000000000000'), lambdaContext()),
      await command('pay', { amount: CREATE_ORDER_TOTAL }),
      await command('pay', { amount: 1 }),
    ];

    // Assess
    expect(answers.map(({ statusCode }) => statusCode)).toEqual([400, 400, 401, 403, 404, 409, 409]);
    const refused = (problem: string) => metricTotal('RequestsRefused', { ...STAGE, problem });
    expect({
      'invalid-request': refused('invalid-request'),
      unauthenticated: refused('unauthenticated'),
      forbidden: refused('forbidden'),
      'order-not-found': refused('order-not-found'),
      'transition-not-allowed': refused('transition-not-allowed'),
    }).toEqual({
      'invalid-request': 2,
      unauthenticated: 1,
      forbidden: 1,
      'order-not-found': 1,
      'transition-not-allowed': 2,
    });
    expect(totals(...COUNTS)).toEqual(zero(COUNTS));
  });

  it('counts a 503 as a failed request, and the publish that failed', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');
    world.sns.on(PublishCommand).rejects(snsThrottling());

    // Act
    const response = await command('pay', { amount: CREATE_ORDER_TOTAL });

    // Assess
    expect(response.statusCode).toBe(503);
    expect(totals(...COUNTS)).toEqual({ ...zero(COUNTS), RequestsFailed: 1, PublishFailures: 1 });
  });

  it('never puts an id in a dimension', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');

    // Act
    await postOrder(createOrderBody());
    await command('pay', { amount: 1 });
    await invoke(handlers.getOrder, getOrderEvent(ORDER_ID, { sub: 'cust_7' }), lambdaContext());

    // Assess
    const dimensions = new Set(emittedMetrics().flatMap((set) => Object.keys(set.dimensions)));
    expect(dimensions.has('problem')).toBe(true);
    expect([...dimensions].filter((name) => /id$/i.test(name))).toEqual([]);
  });
});

function zero(names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, 0]));
}

describe('the HTTP functions’ traces', () => {
  it('annotate the segment with the order id and the correlation id', async () => {
    // Prepare
    world.seedOrder(ORDER_ID, 'PLACED');
    const annotations = vi.spyOn(Tracer.prototype, 'putAnnotation');

    // Act
    await invoke(
      handlers.payOrder,
      orderCommandEvent('pay', ORDER_ID, { amount: CREATE_ORDER_TOTAL }, { 'x-correlation-id': 'demo-1' }),
      lambdaContext(),
    );

    // Assess
    expect(annotations.mock.calls).toEqual(
      expect.arrayContaining([
        ['correlationId', 'demo-1'],
        ['orderId', ORDER_ID],
      ]),
    );
    annotations.mockRestore();
  });
});
