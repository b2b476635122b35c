import { describe, expect, it } from 'vitest';
import type { HttpAnswer, OrderOutcome } from '../../local/load/http-driver.js';
import { expectedOrdersOf, placedOrdersOf, summarizeHttp } from '../../local/load/outcomes.js';
import { type LoadReport, passed, verdictsOf } from '../../local/load/report.js';
import { failureList } from '../../local/load/verdicts.js';
import {
  expectedFigures,
  MIN_REGIONS,
  newRunId,
  type OrderPlan,
  planWorkload,
  regionsFor,
} from '../../local/load/workload.js';
import { NO_FIGURES } from '../../shared/core/analytics.js';

describe('the workload of a load run', () => {
  it('makes ids and regions the API accepts, unique per order and per run', () => {
    // Act
    const runId = newRunId();
    const plans = planWorkload({ runId, orders: 200, cancelRatio: 0.1 });

    // Assess
    expect(runId).toMatch(/^[a-z]{8}$/);
    for (const plan of plans) {
      expect(plan.customerId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(plan.customerId.startsWith(`load-${runId}-`)).toBe(true);
      expect(plan.region).toMatch(/^[a-z]{2}-[a-z]+$/);
      expect(plan.idempotencyKey).toMatch(/^[A-Za-z0-9._:-]{1,120}$/);
      expect(plan.total).toBe(plan.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0));
    }
    expect(new Set(plans.map((plan) => plan.idempotencyKey)).size).toBe(200);
    expect(new Set(plans.map((plan) => plan.region)).size).toBe(MIN_REGIONS);
  });

  it.each([
    [300, 0.1, 30],
    [10, 0.25, 2],
    [7, 0, 0],
    [5, 1, 5],
  ])('races a cancel in floor(%i × %d) orders, spread over the run', (orders, cancelRatio, cancels) => {
    // Act
    const plans = planWorkload({ runId: 'abcdefgh', orders, cancelRatio });

    // Assess
    expect(plans.filter((plan) => plan.cancel)).toHaveLength(cancels);
    if (cancels > 1) expect(plans.slice(0, Math.ceil(orders / 2)).some((plan) => plan.cancel)).toBe(true);
  });

  it('spreads a large run over more regions, so that no analytics window item outgrows its eventIds', () => {
    // Act
    const regions = regionsFor('abcdefgh', 30_000);

    // Assess
    expect(regions.length).toBeGreaterThan(MIN_REGIONS);
    expect(new Set(regions).size).toBe(regions.length);
    expect(regions.every((region) => /^[a-z]{2}-[a-z]+$/.test(region))).toBe(true);
  });
});

const plan = (index: number, overrides: Partial<OrderPlan> = {}): OrderPlan => ({
  index,
  idempotencyKey: `load-run-${index}`,
  customerId: `load-run-${index}`,
  region: index % 2 === 0 ? 'lt-runa' : 'lt-runb',
  items: [{ sku: 'LOAD-1', quantity: 1, unitPrice: 1000 }],
  total: 1000,
  cancel: false,
  ...overrides,
});
const answer = (status: number, retries = 0): HttpAnswer => ({ status, body: undefined, retries });

function outcome(index: number, pay: number, cancel?: number): OrderOutcome {
  return {
    plan: plan(index, { cancel: cancel !== undefined }),
    postSentAt: 0,
    create: answer(201),
    orderId: `o-${index}`,
    total: 1000 * (index + 1),
    pay: answer(pay),
    ...(cancel === undefined ? {} : { cancel: answer(cancel) }),
  };
}

describe('what the HTTP answers commit the pipeline to', () => {
  it('adds up the analytics a run must see, per region', () => {
    // Prepare: o-0 fulfilled (lt-runa), o-1 cancelled before its pay (lt-runb), o-2 paid then cancelled (lt-runa).
    const placed = placedOrdersOf([outcome(0, 202), outcome(1, 409, 202), outcome(2, 202, 202)]);

    // Act
    const figures = expectedFigures(placed);

    // Assess
    expect(Object.fromEntries(figures)).toEqual({
      'lt-runa': { ...NO_FIGURES, placed: 2, paid: 2, cancelled: 1, fulfilled: 1, revenue: 1000 + 3000 },
      'lt-runb': { ...NO_FIGURES, placed: 1, cancelled: 1 },
    });
    expect(
      [...expectedOrdersOf(placed).values()].map(({ status, version }) => `${status} v${version}`),
    ).toEqual(['FULFILLED v3', 'CANCELLED v2', 'CANCELLED v3']);
  });

  it('counts the answers, and reports an order whose answers commit to nothing as an HTTP failure', () => {
    // Prepare
    const failedCreate: OrderOutcome = {
      plan: plan(3),
      postSentAt: 0,
      create: { status: 503, body: { type: '/problems/service-unavailable' }, retries: 4 },
    };

    // Act
    const summary = summarizeHttp([
      outcome(0, 202),
      outcome(1, 409, 409),
      outcome(2, 202, 202),
      failedCreate,
    ]);

    // Assess
    expect(summary).toMatchObject({
      placed: 3,
      payAccepted: 2,
      payRefused: 1,
      cancelSent: 2,
      cancelAccepted: 1,
      cancelRefused: 1,
      retries: 4,
    });
    expect(summary.failures).toEqual({
      count: 2,
      examples: [
        { index: 1, orderId: 'o-1', step: 'cancel', answer: 'pay 409; cancel 409' },
        { index: 3, step: 'create', answer: '503 /problems/service-unavailable after 4 retries' },
      ],
    });
  });
});

describe('the verdicts of a report', () => {
  const clean: LoadReport = {
    runId: 'abcdefgh',
    orders: 1,
    concurrency: 1,
    cancelRatio: 0,
    regions: ['lt-abcdefgha'],
    http: {
      placed: 1,
      payAccepted: 1,
      payRefused: 0,
      cancelSent: 0,
      cancelAccepted: 0,
      cancelRefused: 0,
      retries: 0,
      failures: failureList([]),
    },
    settle: { settled: 1, expected: 1, timedOut: false, waitedMs: 10 },
    lost: failureList([]),
    stream: {
      records: 3,
      repeated: 0,
      missing: failureList([]),
      duplicated: failureList([]),
      unexpected: failureList([]),
    },
    statuses: {
      messages: 3,
      repeated: 0,
      incomplete: failureList([]),
      outOfOrder: failureList([]),
      unexpected: failureList([]),
    },
    analytics: { expected: NO_FIGURES, actual: NO_FIGURES, mismatched: failureList([]) },
    deadLetters: [{ name: 'dlq', kind: 'queue-dlq', before: 2, after: 2 }],
    throughput: { orders: 1, seconds: 1, ordersPerSecond: 1 },
    postToFulfilledMs: { count: 1, p50: 5, p95: 5, p99: 5, max: 5 },
  };

  it('passes a run where nothing went wrong, however full the DLQs already were', () => {
    // Act
    const verdicts = verdictsOf(clean);

    // Assess
    expect(verdicts.filter((verdict) => !verdict.holds)).toEqual([]);
    expect(passed(clean)).toBe(true);
  });

  it('fails a run that grew a DLQ, and names it', () => {
    // Act
    const verdicts = verdictsOf({
      ...clean,
      deadLetters: [{ name: 'dlq', kind: 'queue-dlq', before: 2, after: 3 }],
    });

    // Assess
    expect(verdicts.filter((verdict) => !verdict.holds)).toEqual([
      { name: 'no new dead letters', holds: false, detail: 'dlq +1' },
    ]);
  });

  it('fails a run with a lost order', () => {
    // Act
    const report = {
      ...clean,
      lost: failureList([{ orderId: 'o-1', expected: 'FULFILLED v3', actual: 'PAID v2' }]),
    };

    // Assess
    expect(passed(report)).toBe(false);
  });
});
