import type { ActivityRecord } from './activity.js';

/** The IoT topic of closed windows' summaries. */
export const SUMMARY_TOPIC_NAME = 'analytics/orders/summary';

/** Windows are one minute long, aligned to the minute (README, "Analytics and notifications"). */
export const WINDOW_MS = 60_000;

export interface Window {
  /** ISO 8601, aligned to the minute */
  windowStart: string;
  windowEnd: string;
}

/**
 * What one window of one region counts: the status changes to each status (`placed` … `delivered`), and `revenue`,
 * the totals of the orders paid in the window (minor units).
 */
export interface WindowFigures {
  placed: number;
  paid: number;
  cancelled: number;
  fulfilled: number;
  shipped: number;
  delivered: number;
  revenue: number;
}

/** The summary published to `analytics/orders/summary` once a window is closed. */
export type WindowSummary = Window & { region: string } & WindowFigures;

/** A window that counted nothing: the neutral element of `addFigures`. */
export const NO_FIGURES: WindowFigures = {
  placed: 0,
  paid: 0,
  cancelled: 0,
  fulfilled: 0,
  shipped: 0,
  delivered: 0,
  revenue: 0,
};

/** The window a status change belongs to: by the time the event occurred, not when it was read. */
export function windowOf(occurredAt: string): Window {
  const start = Math.floor(Date.parse(occurredAt) / WINDOW_MS) * WINDOW_MS;
  return { windowStart: new Date(start).toISOString(), windowEnd: new Date(start + WINDOW_MS).toISOString() };
}

/** What one status change adds to its window: one count, and its total as revenue when it is a payment. */
export function contributionOf(record: Pick<ActivityRecord, 'status' | 'total'>): WindowFigures {
  switch (record.status) {
    case 'PLACED':
      return { ...NO_FIGURES, placed: 1 };
    case 'PAID':
      return { ...NO_FIGURES, paid: 1, revenue: record.total };
    case 'CANCELLED':
      return { ...NO_FIGURES, cancelled: 1 };
    case 'FULFILLED':
      return { ...NO_FIGURES, fulfilled: 1 };
    case 'SHIPPED':
      return { ...NO_FIGURES, shipped: 1 };
    case 'DELIVERED':
      return { ...NO_FIGURES, delivered: 1 };
  }
}

/** Two windows' figures, field by field. */
export function addFigures(a: WindowFigures, b: WindowFigures): WindowFigures {
  return {
    placed: a.placed + b.placed,
    paid: a.paid + b.paid,
    cancelled: a.cancelled + b.cancelled,
    fulfilled: a.fulfilled + b.fulfilled,
    shipped: a.shipped + b.shipped,
    delivered: a.delivered + b.delivered,
    revenue: a.revenue + b.revenue,
  };
}

/**
 * Counting a status change into its window, replay-safe: the window remembers the `eventId`s it counted, and the
 * count is one single-item conditional write "add these figures and this eventId unless the eventId is there". A
 * record Kinesis delivers again (a retry, a bisected half, a replay of a failure range) is then a no-op.
 *
 * @example
 * decideCount(new Set(['e1']), { eventId: 'e1', ... }) // { kind: 'duplicate' }
 * decideCount(new Set(), { eventId: 'e2', status: 'PAID', total: 500, ... }) // { kind: 'count', figures: { paid: 1, revenue: 500, ... } }
 */
export type CountDecision = { kind: 'duplicate' } | { kind: 'count'; figures: WindowFigures };

export function decideCount(counted: ReadonlySet<string>, record: ActivityRecord): CountDecision {
  return counted.has(record.eventId)
    ? { kind: 'duplicate' }
    : { kind: 'count', figures: contributionOf(record) };
}
