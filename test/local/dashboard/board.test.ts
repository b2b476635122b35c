import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANALYTICS_TOPIC,
  type AnalyticsWindow,
  Board,
  chartBars,
  currentStatus,
  formatAmount,
  REVIEWS_TOPIC,
} from '../../../local/dashboard/page/board.js';

const status = (orderId: string, status: string, seq: number) =>
  JSON.stringify({ orderId, status, seq, occurredAt: `2026-12-03T10:00:0${seq}.000Z`, correlationId: 'c-1' });

const summary = (overrides: Partial<AnalyticsWindow> = {}): string =>
  JSON.stringify({
    windowStart: '2026-12-03T10:00:00.000Z',
    windowEnd: '2026-12-03T10:01:00.000Z',
    region: 'eu-west',
    placed: 3,
    paid: 2,
    cancelled: 0,
    fulfilled: 1,
    shipped: 0,
    delivered: 0,
    revenue: 4500,
    ...overrides,
  });

describe('the dashboard board', () => {
  it('shows an order’s statuses in seq order, each once, whatever order and how often they arrive', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 20 })
          .chain((seqs) => fc.shuffledSubarray(seqs, { minLength: seqs.length })),
        (seqs) => {
          const board = new Board();
          for (const seq of seqs) board.hear('orders/cust-1/o-1/status', status('o-1', `S${seq}`, seq));
          const [order] = board.orders();
          const distinct = [...new Set(seqs)].sort((a, b) => a - b);
          expect(order?.steps.map((step) => step.seq)).toEqual(distinct);
          expect(currentStatus(order ?? { orderId: '', customerId: '', steps: [], heardAs: 0 })).toBe(
            `S${distinct.at(-1)}`,
          );
        },
      ),
    );
  });

  it('lists orders newest first, with the customer from the topic, and forgets the oldest past its limit', () => {
    // Prepare
    const board = new Board({ orders: 2, windowsPerRegion: 15, reviews: 20 });

    // Act
    for (const orderId of ['o-1', 'o-2', 'o-3']) {
      board.hear(`orders/cust-${orderId}/${orderId}/status`, status(orderId, 'PLACED', 1));
    }
    board.hear('orders/cust-o-2/o-2/status', status('o-2', 'PAID', 2));

    // Assess
    expect(board.orders().map(({ orderId, customerId }) => [orderId, customerId])).toEqual([
      ['o-3', 'cust-o-3'],
      ['o-2', 'cust-o-2'],
    ]);
  });

  it('ignores messages that are not of the documented shapes, and says which part a message changed', () => {
    // Prepare
    const board = new Board();

    // Act
    const heard = [
      board.hear('orders/cust-1/o-1/status', 'not json'),
      board.hear('orders/cust-1/o-1/status', status('o-2', 'PLACED', 1)), // another order than the topic's
      board.hear('orders/cust-1/o-1/status', JSON.stringify({ orderId: 'o-1', status: 'PLACED', seq: 0 })),
      board.hear('orders/cust-1/o-1', status('o-1', 'PLACED', 1)),
      board.hear(ANALYTICS_TOPIC, summary({ revenue: -1 })),
      board.hear(REVIEWS_TOPIC, JSON.stringify({ orderId: 'o-9' })),
      board.hear('warehouse/w1/scans', status('o-1', 'PLACED', 1)),
      board.hear('orders/cust-1/o-1/status', status('o-1', 'PLACED', 1)),
      board.hear(ANALYTICS_TOPIC, summary()),
      board.hear(
        REVIEWS_TOPIC,
        JSON.stringify({
          orderId: 'o-1',
          customerId: 'cust-1',
          total: 150000,
          currency: 'EUR',
          region: 'eu-west',
          eventId: 'e-1',
          openedAt: '2026-12-03T10:00:01.000Z',
        }),
      ),
    ];

    // Assess
    expect(heard).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'orders',
      'analytics',
      'reviews',
    ]);
    expect(board.orders()).toHaveLength(1);
    expect(board.reviews().map((review) => review.total)).toEqual([150000]);
  });

  it('keeps each region’s windows oldest first, a window published again replacing the one heard', () => {
    // Prepare
    const board = new Board({ orders: 50, windowsPerRegion: 2, reviews: 20 });

    // Act
    board.hear(ANALYTICS_TOPIC, summary({ windowStart: '2026-12-03T10:02:00.000Z', placed: 1 }));
    board.hear(ANALYTICS_TOPIC, summary({ windowStart: '2026-12-03T10:00:00.000Z', placed: 5 }));
    board.hear(ANALYTICS_TOPIC, summary({ windowStart: '2026-12-03T10:01:00.000Z', placed: 2 }));
    board.hear(ANALYTICS_TOPIC, summary({ windowStart: '2026-12-03T10:01:00.000Z', placed: 3 }));
    board.hear(ANALYTICS_TOPIC, summary({ region: 'ap-south', placed: 7 }));

    // Assess
    expect(board.windows().map(({ region, windows }) => [region, windows.map((w) => w.placed)])).toEqual([
      ['ap-south', [7]],
      ['eu-west', [3, 1]],
    ]);
  });
});

describe('the analytics chart’s geometry', () => {
  const windows = (placed: number[]): AnalyticsWindow[] =>
    placed.map((count, index) => ({
      windowStart: `2026-12-03T10:0${index}:00.000Z`,
      windowEnd: '',
      region: 'eu-west',
      placed: count,
      paid: 0,
      cancelled: 0,
      fulfilled: 0,
      revenue: count * 1000,
    }));

  it('gives the busiest window the tallest bar, every bar inside the plot, left to right in time', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 500 }), { minLength: 1, maxLength: 15 }), (placed) => {
        const box = { width: 360, height: 120, labels: 16, slots: 10 };
        const bars = chartBars(windows(placed), box);
        const tallest = Math.max(...bars.map((bar) => bar.barHeight));
        for (const [index, bar] of bars.entries()) {
          expect(bar.barY + bar.barHeight).toBeCloseTo(box.height - box.labels);
          expect(bar.barY).toBeGreaterThanOrEqual(0);
          expect(bar.x + bar.width).toBeLessThanOrEqual(box.width);
          if (index > 0) expect(bar.x).toBeGreaterThan(bars[index - 1]?.x ?? 0);
          if (bar.placed === Math.max(...placed) && bar.placed > 0) expect(bar.barHeight).toBe(tallest);
        }
      }),
    );
  });

  it('labels each bar with its window’s minute', () => {
    expect(chartBars(windows([1, 2])).map((bar) => bar.label)).toEqual(['10:00', '10:01']);
  });
});

describe('amounts on the dashboard', () => {
  it('shows minor units as units with two decimals', () => {
    expect([formatAmount(3998, 'EUR'), formatAmount(5), formatAmount(150000, 'USD')]).toEqual([
      '39.98 EUR',
      '0.05',
      '1500.00 USD',
    ]);
  });
});
