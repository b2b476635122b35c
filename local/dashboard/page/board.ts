/**
 * What the dashboard page knows, built from the MQTT messages it hears: the orders with their statuses, the
 * analytics windows per region, the reviews. Pure (no DOM, no network), so that it is tested in Node and the page
 * only draws it.
 */

/** An order's status as `orders/{customerId}/{orderId}/status` tells it. */
export interface StatusStep {
  status: string;
  seq: number;
  occurredAt: string;
}

export interface BoardOrder {
  orderId: string;
  customerId: string;
  /** In `seq` order, each `seq` once (QoS 1 may deliver a message twice). */
  steps: StatusStep[];
  /** The order in which the page first heard of each order: the board shows the newest first. */
  heardAs: number;
}

/** One closed window of `analytics/orders/summary`. */
export interface AnalyticsWindow {
  windowStart: string;
  windowEnd: string;
  region: string;
  placed: number;
  paid: number;
  cancelled: number;
  fulfilled: number;
  /** Minor units (cents), as every amount in orderflow. */
  revenue: number;
}

/** A high-value order sent for review, as `ops/reviews` tells it. */
export interface Review {
  orderId: string;
  customerId: string;
  total: number;
  currency: string;
  region: string;
  openedAt: string;
}

export const STATUS_TOPIC_FILTER = 'orders/+/+/status';
export const ANALYTICS_TOPIC = 'analytics/orders/summary';
export const REVIEWS_TOPIC = 'ops/reviews';
/** The topics the page subscribes to: what a browser client of IoT Core with an operator's policy would read. */
export const DASHBOARD_TOPICS = [STATUS_TOPIC_FILTER, ANALYTICS_TOPIC, REVIEWS_TOPIC] as const;

/** Which part of the board a message changed, or `undefined` when it was not one the board shows. */
export type Heard = 'orders' | 'analytics' | 'reviews' | undefined;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The board: fed with each MQTT message (`hear`), read by the page (`orders`, `windows`, `reviews`). */
export class Board {
  readonly #orders = new Map<string, BoardOrder>();
  /** region → windowStart → window */
  readonly #windows = new Map<string, Map<string, AnalyticsWindow>>();
  readonly #reviews = new Map<string, Review>();
  #heard = 0;

  constructor(private readonly limits = { orders: 50, windowsPerRegion: 15, reviews: 20 }) {}

  /** Takes one MQTT message; a message of another topic, or not of the documented shape, changes nothing. */
  hear(topic: string, payload: string): Heard {
    const message = parseJson(payload);
    if (!isRecord(message)) return undefined;
    const levels = topic.split('/');
    if (levels.length === 4 && levels[0] === 'orders' && levels[3] === 'status') {
      return this.#hearStatus(levels[1] ?? '', levels[2] ?? '', message);
    }
    if (topic === ANALYTICS_TOPIC) return this.#hearWindow(message);
    if (topic === REVIEWS_TOPIC) return this.#hearReview(message);
    return undefined;
  }

  /** Newest first, at most `limits.orders`. */
  orders(): BoardOrder[] {
    return [...this.#orders.values()].sort((a, b) => b.heardAs - a.heardAs);
  }

  /** The regions heard of, in name order, each with its windows oldest first (at most `limits.windowsPerRegion`). */
  windows(): Array<{ region: string; windows: AnalyticsWindow[] }> {
    return [...this.#windows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, byStart]) => ({
        region,
        windows: [...byStart.values()].sort((a, b) => a.windowStart.localeCompare(b.windowStart)),
      }));
  }

  /** Newest first. */
  reviews(): Review[] {
    return [...this.#reviews.values()].sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  }

  #hearStatus(customerId: string, orderId: string, message: Record<string, unknown>): Heard {
    const { status, seq, occurredAt } = message;
    if (!isText(customerId) || !isText(orderId) || message.orderId !== orderId) return undefined;
    if (!isText(status) || !isCount(seq) || seq < 1 || !isText(occurredAt)) return undefined;
    let order = this.#orders.get(orderId);
    if (order === undefined) {
      this.#heard += 1;
      order = { orderId, customerId, steps: [], heardAs: this.#heard };
      this.#orders.set(orderId, order);
      this.#forgetOldest(this.#orders, this.limits.orders, (a, b) => a.heardAs - b.heardAs);
    }
    if (order.steps.some((step) => step.seq === seq)) return 'orders';
    order.steps = [...order.steps, { status, seq, occurredAt }].sort((a, b) => a.seq - b.seq);
    return 'orders';
  }

  #hearWindow(message: Record<string, unknown>): Heard {
    const { windowStart, windowEnd, region, placed, paid, cancelled, fulfilled, revenue } = message;
    if (!isText(windowStart) || !isText(windowEnd) || !isText(region)) return undefined;
    if (![placed, paid, cancelled, fulfilled, revenue].every(isCount)) return undefined;
    let byStart = this.#windows.get(region);
    if (byStart === undefined) {
      byStart = new Map();
      this.#windows.set(region, byStart);
    }
    // A window published again (a replay) replaces the one heard: the figures are the window's, not increments.
    byStart.set(windowStart, {
      windowStart,
      windowEnd,
      region,
      placed: placed as number,
      paid: paid as number,
      cancelled: cancelled as number,
      fulfilled: fulfilled as number,
      revenue: revenue as number,
    });
    this.#forgetOldest(byStart, this.limits.windowsPerRegion, (a, b) =>
      a.windowStart.localeCompare(b.windowStart),
    );
    return 'analytics';
  }

  #hearReview(message: Record<string, unknown>): Heard {
    const { orderId, customerId, total, currency, region, openedAt } = message;
    if (!isText(orderId) || !isText(customerId) || !isCount(total)) return undefined;
    if (!isText(currency) || !isText(region) || !isText(openedAt)) return undefined;
    this.#reviews.set(orderId, { orderId, customerId, total, currency, region, openedAt });
    this.#forgetOldest(this.#reviews, this.limits.reviews, (a, b) => a.openedAt.localeCompare(b.openedAt));
    return 'reviews';
  }

  #forgetOldest<T>(entries: Map<string, T>, limit: number, oldestFirst: (a: T, b: T) => number): void {
    if (entries.size <= limit) return;
    const byAge = [...entries.entries()].sort(([, a], [, b]) => oldestFirst(a, b));
    for (const [key] of byAge.slice(0, entries.size - limit)) entries.delete(key);
  }
}

/** The order's current status: its highest `seq`. */
export const currentStatus = (order: BoardOrder): string | undefined => order.steps.at(-1)?.status;

/** An amount in minor units as `12.34 EUR`. */
export const formatAmount = (minorUnits: number, currency = ''): string =>
  `${(minorUnits / 100).toFixed(2)}${currency === '' ? '' : ` ${currency}`}`;

/** `HH:MM` (UTC) of an ISO 8601 time, as the windows' axis labels. */
export const minuteLabel = (iso: string): string => iso.slice(11, 16);

export interface Bar {
  /** The window's start, e.g. `2026-01-01T10:00:00.000Z`. */
  windowStart: string;
  label: string;
  x: number;
  width: number;
  /** Orders placed in the window: the bar. */
  placed: number;
  barY: number;
  barHeight: number;
  /** Revenue in minor units: a point of the line. */
  revenue: number;
  revenueY: number;
}

/**
 * The geometry of one region's chart in a `width`×`height` box with room at the bottom for labels: a bar per
 * window for the orders placed, a point per window for its revenue, each scaled to its own maximum. The box has at
 * least `slots` places, so that a single window is a bar, not a wall.
 */
export function chartBars(
  windows: readonly AnalyticsWindow[],
  box = { width: 360, height: 120, labels: 16, slots: 10 },
): Bar[] {
  const plot = box.height - box.labels;
  const slot = box.width / Math.max(windows.length, box.slots);
  const mostPlaced = Math.max(1, ...windows.map((window) => window.placed));
  const mostRevenue = Math.max(1, ...windows.map((window) => window.revenue));
  return windows.map((window, index) => {
    const barHeight = (window.placed / mostPlaced) * (plot - 4);
    return {
      windowStart: window.windowStart,
      label: minuteLabel(window.windowStart),
      x: index * slot + slot * 0.15,
      width: slot * 0.7,
      placed: window.placed,
      barY: plot - barHeight,
      barHeight,
      revenue: window.revenue,
      revenueY: plot - (window.revenue / mostRevenue) * (plot - 4),
    };
  });
}
