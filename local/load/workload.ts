import { addFigures, NO_FIGURES, type WindowFigures } from '../../shared/core/analytics.js';
import { computeTotal } from '../../shared/core/money.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';

/** What one load run is asked to do. */
export interface WorkloadOptions {
  /** How many orders to place. */
  orders: number;
  /** How many HTTP clients place them at once. */
  concurrency: number;
  /** The fraction of orders (0–1) that also send a cancel racing their pay. */
  cancelRatio: number;
}

export interface PlannedItem {
  sku: string;
  quantity: number;
  unitPrice: number;
}

/** One order of the workload, decided before anything is sent. */
export interface OrderPlan {
  index: number;
  /** Unique per order and per run: a retry after a 503 sends the same one. */
  idempotencyKey: string;
  customerId: string;
  region: string;
  items: PlannedItem[];
  total: number;
  /** Sends `POST /orders/{id}/cancel` together with the pay (Promise.all): they race. */
  cancel: boolean;
}

/**
 * An analytics window item holds the eventIds it counted, about 9,000 at most (analytics-store.ts). A run spreads
 * its orders over at least this many regions, and more when even all its events in one minute of one region could
 * come near that limit.
 */
export const MIN_REGIONS = 4;
const EVENTS_PER_REGION_BUDGET = 6_000;
/** An order makes at most three status changes (PLACED, PAID, FULFILLED or CANCELLED). */
const MAX_EVENTS_PER_ORDER = 3;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * A fresh run id: 8 lower-case letters, so that it can be part of a region (`^[a-z]{2}-[a-z]+$`) as well as a
 * customerId and an Idempotency-Key, and a run never mistakes another run's orders, windows or messages for its own.
 */
export function newRunId(random: () => number = Math.random): string {
  return Array.from({ length: 8 }, () => LETTERS[Math.floor(random() * LETTERS.length)]).join('');
}

/** The regions made for a run: `lt-<runId><a|b|…>`, enough of them that no window item can overflow. */
export function regionsFor(runId: string, orders: number): string[] {
  const count = Math.max(MIN_REGIONS, Math.ceil((orders * MAX_EVENTS_PER_ORDER) / EVENTS_PER_REGION_BUDGET));
  return Array.from({ length: count }, (_, index) => `lt-${runId}${lettersOf(index)}`);
}

/** 0 → a, 25 → z, 26 → ba: a suffix made of letters only, distinct per index. */
function lettersOf(index: number): string {
  let text = '';
  let rest = index;
  do {
    text = (LETTERS[rest % LETTERS.length] ?? 'a') + text;
    rest = Math.floor(rest / LETTERS.length);
  } while (rest > 0);
  return text;
}

/**
 * The orders of a run. Exactly `floor(orders × cancelRatio)` of them race a cancel with their pay, spread evenly
 * over the run rather than bunched at its start; about one in twenty is worth ≥ 1,000.00 so that the review
 * subscription (and its queue and DLQ) carries load too. `random` only varies the baskets. Customers and keys are
 * `<prefix>-<runId>-<index>` (`load` by default; a chaos run's are `chaos`).
 */
export function planWorkload(
  {
    runId,
    orders,
    cancelRatio,
    prefix = 'load',
  }: { runId: string; orders: number; cancelRatio: number; prefix?: string },
  random: () => number = Math.random,
): OrderPlan[] {
  const regions = regionsFor(runId, orders);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  return Array.from({ length: orders }, (_, index) => {
    const highValue = random() < 0.05;
    const items = Array.from({ length: between(1, 3) }, (_, line) => ({
      sku: `LOAD-${line + 1}`,
      quantity: between(1, 3),
      unitPrice: highValue ? between(100_000, 200_000) : between(100, 9_999),
    }));
    return {
      index,
      idempotencyKey: `${prefix}-${runId}-${index}`,
      customerId: `${prefix}-${runId}-${index}`,
      region: regions[index % regions.length] ?? `lt-${runId}a`,
      items,
      total: computeTotal(items),
      cancel: Math.floor((index + 1) * cancelRatio) > Math.floor(index * cancelRatio),
    };
  });
}

/** The status codes the HTTP API gave an order's pay and (when sent) cancel, after any 503 retries. */
export interface CommandAnswers {
  pay: number;
  cancel?: number;
}

/** Where an order must end, with the statuses it goes through (`path[seq - 1]` is the status of `seq`). */
export interface ExpectedOrder {
  status: Extract<OrderStatus, 'FULFILLED' | 'CANCELLED'>;
  /** The order's `version`: the seq of its last event, and so the number of its events. */
  version: number;
  path: OrderStatus[];
  /** Its pay was accepted: it counts as paid, with its total as revenue. */
  paid: boolean;
}

export type Expectation = { kind: 'known'; expected: ExpectedOrder } | { kind: 'unknown'; reason: string };

/**
 * The final state the HTTP answers commit the pipeline to. A cancel accepted (202) wins: the order ends CANCELLED,
 * after PAID when its pay was accepted too (the pay came first, or the cancel would have refused it). Otherwise an
 * accepted pay ends FULFILLED: a cancel refused with 409 lost to the pay or to the fulfillment. Any other
 * combination (both refused, a 5xx that persisted, a 4xx the workload never provokes) commits to nothing.
 */
export function expectedFinalState({ pay, cancel }: CommandAnswers): Expectation {
  const unknown = (reason: string): Expectation => ({ kind: 'unknown', reason });
  const answered = `pay ${pay}${cancel === undefined ? '' : `, cancel ${cancel}`}`;
  if (pay !== 202 && pay !== 409) return unknown(`unexpected answer: ${answered}`);
  if (cancel !== undefined && cancel !== 202 && cancel !== 409)
    return unknown(`unexpected answer: ${answered}`);
  if (cancel === 202) {
    return pay === 202
      ? { kind: 'known', expected: order('CANCELLED', ['PLACED', 'PAID', 'CANCELLED'], true) }
      : { kind: 'known', expected: order('CANCELLED', ['PLACED', 'CANCELLED'], false) };
  }
  if (pay === 202) {
    return { kind: 'known', expected: order('FULFILLED', ['PLACED', 'PAID', 'FULFILLED'], true) };
  }
  return unknown(`nothing accepted: ${answered}`);
}

function order(status: ExpectedOrder['status'], path: OrderStatus[], paid: boolean): ExpectedOrder {
  return { status, version: path.length, path, paid };
}

/** An order placed by the run (201), with what its later answers commit it to. */
export interface PlacedOrder {
  orderId: string;
  region: string;
  total: number;
  expectation: Expectation;
}

/**
 * The analytics figures a run must add up to, per region, by the rules of shared/core/analytics.ts: every placed
 * order once in `placed`; an accepted pay in `paid` and its total in `revenue`; an accepted cancel in `cancelled`;
 * a fulfillment in `fulfilled`. An order whose answers commit to nothing still counts as placed.
 */
export function expectedFigures(orders: readonly PlacedOrder[]): Map<string, WindowFigures> {
  const byRegion = new Map<string, WindowFigures>();
  for (const placed of orders) {
    const figures = { ...NO_FIGURES, placed: 1 };
    if (placed.expectation.kind === 'known') {
      const { expected } = placed.expectation;
      if (expected.paid) Object.assign(figures, { paid: 1, revenue: placed.total });
      if (expected.status === 'CANCELLED') figures.cancelled = 1;
      if (expected.status === 'FULFILLED') figures.fulfilled = 1;
    }
    byRegion.set(placed.region, addFigures(byRegion.get(placed.region) ?? NO_FIGURES, figures));
  }
  return byRegion;
}
