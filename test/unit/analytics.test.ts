import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import type { CountDecision, WindowFigures } from '../../shared/core/analytics.js';
import {
  addFigures,
  contributionOf,
  decideCount,
  NO_FIGURES,
  WINDOW_MS,
  windowOf,
} from '../../shared/core/analytics.js';
import { ORDER_STATUSES } from '../../shared/core/status-machine.js';
import { activityRecord } from '../support/kinesis-event.js';

describe('windowOf', () => {
  it.each([
    [
      'a time inside a minute',
      '2024-05-01T10:00:30.000Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:01:00.000Z',
    ],
    [
      'the first instant of a minute',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:01:00.000Z',
    ],
    [
      'the last millisecond of a minute',
      '2024-05-01T10:00:59.999Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:01:00.000Z',
    ],
    [
      'the instant a window ends',
      '2024-05-01T10:01:00.000Z',
      '2024-05-01T10:01:00.000Z',
      '2024-05-01T10:02:00.000Z',
    ],
    [
      'a time without milliseconds',
      '2024-05-01T10:00:30Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:01:00.000Z',
    ],
    [
      'a time with microseconds',
      '2024-05-01T10:00:30.123456Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:01:00.000Z',
    ],
    [
      'a time with an offset',
      '2024-05-01T12:00:30.000+02:00',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:01:00.000Z',
    ],
    [
      'the last minute of a year',
      '2024-12-31T23:59:59.999Z',
      '2024-12-31T23:59:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ],
    [
      'the last minute of a leap day',
      '2024-02-29T23:59:30.000Z',
      '2024-02-29T23:59:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ],
  ])('aligns %s to its minute', (_, occurredAt, windowStart, windowEnd) => {
    expect(windowOf(occurredAt)).toEqual({ windowStart, windowEnd });
  });

  it('gives every instant the one-minute window that holds it, as UTC ISO 8601 strings', () => {
    fc.assert(
      fc.property(
        fc.integer({
          min: Date.parse('2000-01-01T00:00:00.000Z'),
          max: Date.parse('2099-12-31T23:59:59.999Z'),
        }),
        (instant) => {
          // Act
          const { windowStart, windowEnd } = windowOf(new Date(instant).toISOString());

          // Assess
          const start = Date.parse(windowStart);
          expect(windowStart).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
          expect(start % WINDOW_MS).toBe(0);
          expect(start).toBeLessThanOrEqual(instant);
          expect(instant).toBeLessThan(start + WINDOW_MS);
          expect(windowEnd).toBe(new Date(start + WINDOW_MS).toISOString());
        },
      ),
    );
  });
});

describe('contributionOf', () => {
  const none = { placed: 0, paid: 0, cancelled: 0, fulfilled: 0, shipped: 0, delivered: 0, revenue: 0 };

  it.each<[ActivityRecord['status'], WindowFigures]>([
    ['PLACED', { ...none, placed: 1 }],
    ['PAID', { ...none, paid: 1, revenue: 4498 }],
    ['CANCELLED', { ...none, cancelled: 1 }],
    ['FULFILLED', { ...none, fulfilled: 1 }],
    ['SHIPPED', { ...none, shipped: 1 }],
    ['DELIVERED', { ...none, delivered: 1 }],
  ])('counts a %s status change once, with revenue only for a payment', (status, figures) => {
    expect(contributionOf({ status, total: 4498 })).toEqual(figures);
  });

  it('counts the revenue of a free order as zero', () => {
    expect(contributionOf({ status: 'PAID', total: 0 })).toEqual({ ...NO_FIGURES, paid: 1 });
  });
});

describe('addFigures', () => {
  it('adds field by field and leaves NO_FIGURES neutral', () => {
    fc.assert(
      fc.property(figuresArb(), figuresArb(), (a, b) => {
        // Act
        const sum = addFigures(a, b);

        // Assess
        expect(sum).toEqual({
          placed: a.placed + b.placed,
          paid: a.paid + b.paid,
          cancelled: a.cancelled + b.cancelled,
          fulfilled: a.fulfilled + b.fulfilled,
          shipped: a.shipped + b.shipped,
          delivered: a.delivered + b.delivered,
          revenue: a.revenue + b.revenue,
        });
        expect(addFigures(b, a)).toEqual(sum);
        expect(addFigures(a, NO_FIGURES)).toEqual(a);
      }),
    );
  });
});

describe('decideCount', () => {
  const paid = activityRecord({ status: 'PAID', total: 500 });

  it.each<[name: string, counted: string[], expected: CountDecision]>([
    [
      'counts a record into an empty window',
      [],
      { kind: 'count', figures: { ...NO_FIGURES, paid: 1, revenue: 500 } },
    ],
    [
      'counts a record the window has not counted',
      ['7a1c0d2e-0000-4000-8000-000000000001'],
      { kind: 'count', figures: { ...NO_FIGURES, paid: 1, revenue: 500 } },
    ],
    ['drops a record the window counted', [paid.eventId], { kind: 'duplicate' }],
    [
      'drops a record the window counted among others',
      ['7a1c0d2e-0000-4000-8000-000000000001', paid.eventId],
      { kind: 'duplicate' },
    ],
  ])('%s', (_, counted, expected) => {
    expect(decideCount(new Set(counted), paid)).toEqual(expected);
  });

  it('judges by eventId only: the same eventId with other content is still a duplicate', () => {
    expect(decideCount(new Set([paid.eventId]), { ...paid, status: 'CANCELLED', total: 1 })).toEqual({
      kind: 'duplicate',
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// One shard of `order-activity` delivered to Lambda (ReportBatchItemFailures, bisect on function error, at most N
// retries), each delivered record counted by the rule of the analytics store.
// ---------------------------------------------------------------------------------------------------------------

/**
 * How one invocation ends:
 * - `succeed`: every record is handled;
 * - `report`: the records at `failing` (positions in the batch, modulo its length) fail and are reported in
 *   `batchItemFailures`; the others are counted (the batch processor goes on after a failure). Lambda checkpoints
 *   before the lowest failed sequence number and retries from there, so records after it come again;
 * - `throw`: the function fails (timeout, crash) after handling `after` records; Lambda retries the whole batch, or
 *   with `bisect` splits it into two halves and retries each.
 */
type Invocation =
  | { kind: 'succeed' }
  | { kind: 'report'; failing: number[] }
  | { kind: 'throw'; after: number; bisect: boolean };

/**
 * What happens to a batch that keeps failing: in `faultsClear` the faults are transient and clear by the last retry
 * Lambda allows (no record is lost); in `discard` a batch that fails its last retry goes to the on-failure
 * destination and the shard moves on.
 */
type Exhaustion = 'faultsClear' | 'discard';

interface Delivery {
  /** The shard's records in sequence order; the stream is written at least once, so an eventId may repeat. */
  shard: ActivityRecord[];
  /** The batch sizes Lambda reads, in turn. */
  cuts: number[];
  /** How the invocations end, in turn; once they run out every invocation succeeds. */
  invocations: Invocation[];
  maxRetries: number;
}

interface DeliveryOutcome {
  /** How often each record (by shard position) was handed to the function. */
  deliveries: number[];
  /** Shard positions of the batches sent to the on-failure destination. */
  discarded: Set<number>;
  /** The most retries any batch had. */
  mostRetries: number;
}

interface Batch {
  start: number;
  end: number;
  retries: number;
}

/** Delivers the shard as Lambda's event source mapping does; `handle` sees every record of every invocation. */
function deliver(
  { shard, cuts, invocations, maxRetries }: Delivery,
  exhaustion: Exhaustion,
  handle: (record: ActivityRecord) => void,
): DeliveryOutcome {
  const plan = [...invocations];
  const deliveries = shard.map(() => 0);
  const discarded = new Set<number>();
  let mostRetries = 0;
  const run = (from: number, to: number) => {
    for (let position = from; position < to; position += 1) {
      const record = shard[position];
      if (record === undefined) throw new Error(`No record at ${position}`);
      deliveries[position] = (deliveries[position] ?? 0) + 1;
      handle(record);
    }
  };

  let start = 0;
  for (let cut = 0; start < shard.length; cut += 1) {
    const end = Math.min(shard.length, start + (cuts[cut % cuts.length] ?? 1));
    const queue: Batch[] = [{ start, end, retries: 0 }];
    for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
      const size = batch.end - batch.start;
      if (batch.retries > maxRetries) {
        for (let position = batch.start; position < batch.end; position += 1) discarded.add(position);
        continue;
      }
      mostRetries = Math.max(mostRetries, batch.retries);
      const lastTry = batch.retries === maxRetries && exhaustion === 'faultsClear';
      const invocation: Invocation = lastTry ? { kind: 'succeed' } : (plan.shift() ?? { kind: 'succeed' });
      switch (invocation.kind) {
        case 'succeed':
          run(batch.start, batch.end);
          break;
        case 'report': {
          const failing = new Set(invocation.failing.map((index) => index % size));
          for (let index = 0; index < size; index += 1) {
            // A failing record is handed over too; only its count does not happen.
            if (failing.has(index))
              deliveries[batch.start + index] = (deliveries[batch.start + index] ?? 0) + 1;
            else run(batch.start + index, batch.start + index + 1);
          }
          queue.unshift({
            start: batch.start + Math.min(...failing),
            end: batch.end,
            retries: batch.retries + 1,
          });
          break;
        }
        case 'throw': {
          run(batch.start, batch.start + (invocation.after % (size + 1)));
          if (invocation.bisect && size > 1) {
            const middle = batch.start + Math.ceil(size / 2);
            queue.unshift(
              { start: batch.start, end: middle, retries: batch.retries + 1 },
              { start: middle, end: batch.end, retries: batch.retries + 1 },
            );
          } else {
            queue.unshift({ ...batch, retries: batch.retries + 1 });
          }
          break;
        }
      }
    }
    start = end;
  }
  return { deliveries, discarded, mostRetries };
}

/** The analytics store's rule, in memory: per window and region, the eventIds it counted and its figures. */
class CountingStore {
  readonly #windows = new Map<string, { counted: Set<string>; figures: WindowFigures }>();

  readonly count = (record: ActivityRecord): void => {
    const key = windowKeyOf(record);
    const window = this.#windows.get(key) ?? { counted: new Set<string>(), figures: NO_FIGURES };
    const decision = decideCount(window.counted, record);
    if (decision.kind === 'count') {
      window.counted.add(record.eventId);
      window.figures = addFigures(window.figures, decision.figures);
    }
    this.#windows.set(key, window);
  };

  figures(): Record<string, WindowFigures> {
    return Object.fromEntries([...this.#windows].map(([key, { figures }]) => [key, figures]));
  }

  counted(): Record<string, string[]> {
    return Object.fromEntries([...this.#windows].map(([key, { counted }]) => [key, [...counted].sort()]));
  }
}

function windowKeyOf(record: ActivityRecord): string {
  return `${record.region}#${windowOf(record.occurredAt).windowStart}`;
}

/** The reference: each distinct record (by eventId) added once to its window. */
function countedOnce(records: readonly ActivityRecord[]): Record<string, WindowFigures> {
  const seen = new Set<string>();
  const figures: Record<string, WindowFigures> = {};
  for (const record of records) {
    if (seen.has(record.eventId)) continue;
    seen.add(record.eventId);
    const key = windowKeyOf(record);
    figures[key] = addFigures(figures[key] ?? NO_FIGURES, contributionOf(record));
  }
  return figures;
}

const FIRST_MINUTE = Date.parse('2024-05-01T10:00:00.000Z');
const ORDER_IDS = [
  '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b',
  '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a',
  'e3f4a5b6-c7d8-4e9f-a0b1-c2d3e4f5a6b7',
];

/** Times over five minutes, often on the first or last millisecond of a minute. */
const occurredAtArb = fc
  .record({
    minute: fc.integer({ min: 0, max: 4 }),
    offset: fc.oneof(fc.constantFrom(0, 1, WINDOW_MS - 1), fc.integer({ min: 0, max: WINDOW_MS - 1 })),
  })
  .map(({ minute, offset }) => new Date(FIRST_MINUTE + minute * WINDOW_MS + offset).toISOString());

const activityArb: fc.Arbitrary<ActivityRecord> = fc
  .record({
    eventId: fc.uuid(),
    orderId: fc.constantFrom(...ORDER_IDS),
    status: fc.constantFrom(...ORDER_STATUSES),
    total: fc.integer({ min: 0, max: 500_000_000 }),
    region: fc.constantFrom('eu-west', 'us-east', 'ap-southeast'),
    seq: fc.integer({ min: 1, max: 5 }),
    occurredAt: occurredAtArb,
  })
  .map((fields) => activityRecord(fields));

/** A shard: distinct status changes, and copies of some of them written again later (at-least-once writes). */
const shardArb: fc.Arbitrary<ActivityRecord[]> = fc
  .record({
    records: fc.uniqueArray(activityArb, {
      selector: (record) => record.eventId,
      minLength: 1,
      maxLength: 40,
    }),
    copies: fc.array(fc.record({ of: fc.nat(), at: fc.nat() }), { maxLength: 10 }),
  })
  .map(({ records, copies }) => {
    const shard = [...records];
    for (const { of, at } of copies) {
      const copy = records[of % records.length];
      if (copy !== undefined) shard.splice(at % (shard.length + 1), 0, copy);
    }
    return shard;
  });

const invocationArb: fc.Arbitrary<Invocation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'succeed' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      failing: fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('throw' as const),
      after: fc.nat({ max: 20 }),
      bisect: fc.boolean(),
    }),
  },
);

const deliveryArb: fc.Arbitrary<Delivery> = fc.record({
  shard: shardArb,
  cuts: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 8 }),
  invocations: fc.array(invocationArb, { maxLength: 30 }),
  maxRetries: fc.integer({ min: 0, max: 4 }),
});

function figuresArb(): fc.Arbitrary<WindowFigures> {
  const count = fc.nat({ max: 10_000 });
  return fc.record({
    placed: count,
    paid: count,
    cancelled: count,
    fulfilled: count,
    shipped: count,
    delivered: count,
    revenue: fc.nat({ max: 1_000_000_000 }),
  });
}

describe('counting a shard into windows (the analytics store rule)', () => {
  it('ends with the figures of each record counted once, whatever batches, retries, bisects and partial failures Lambda makes', () => {
    fc.assert(
      fc.property(deliveryArb, (delivery) => {
        // Prepare
        const store = new CountingStore();

        // Act
        const outcome = deliver(delivery, 'faultsClear', store.count);

        // Assess
        expect(store.figures()).toEqual(countedOnce(delivery.shard));
        expect(outcome.deliveries.every((times) => times >= 1)).toBe(true);
        expect(outcome.mostRetries).toBeLessThanOrEqual(delivery.maxRetries);
      }),
      { numRuns: 300 },
    );
  });

  it('counts a SHIPPED or DELIVERED record delivered again once, like every status (the runs do deliver them again)', () => {
    // Prepare
    let redelivered = 0;

    // Act
    fc.assert(
      fc.property(deliveryArb, (delivery) => {
        const store = new CountingStore();
        const outcome = deliver(delivery, 'faultsClear', store.count);

        // Assess
        const once = countedOnce(delivery.shard);
        for (const [key, figures] of Object.entries(store.figures())) {
          expect({ shipped: figures.shipped, delivered: figures.delivered }).toEqual({
            shipped: once[key]?.shipped,
            delivered: once[key]?.delivered,
          });
        }
        redelivered += delivery.shard.filter(
          (record, position) =>
            (record.status === 'SHIPPED' || record.status === 'DELIVERED') &&
            (outcome.deliveries[position] ?? 0) > 1,
        ).length;
      }),
      { numRuns: 200 },
    );

    // Assess
    expect(redelivered).toBeGreaterThan(0);
  });

  it('never counts a record twice when batches are given up after N retries, and counts every record not given up', () => {
    fc.assert(
      fc.property(deliveryArb, (delivery) => {
        // Prepare
        const store = new CountingStore();

        // Act
        const outcome = deliver(delivery, 'discard', store.count);

        // Assess: each window's figures are those of the distinct records it holds
        const counted = store.counted();
        const byEventId = new Map(delivery.shard.map((record) => [record.eventId, record]));
        const heldOnce = Object.values(counted)
          .flat()
          .map((eventId) => byEventId.get(eventId))
          .filter((record) => record !== undefined);
        expect(store.figures()).toEqual(countedOnce(heldOnce));
        const kept = delivery.shard.filter((_, position) => !outcome.discarded.has(position));
        for (const record of kept) expect(counted[windowKeyOf(record)]).toContain(record.eventId);
      }),
      { numRuns: 300 },
    );
  });

  it('delivers some records more than once in the model: counting every delivery goes wrong', () => {
    // Prepare: a counter without the eventId rule
    const naive = fc.property(deliveryArb, (delivery) => {
      const figures: Record<string, WindowFigures> = {};
      deliver(delivery, 'faultsClear', (record) => {
        const key = windowKeyOf(record);
        figures[key] = addFigures(figures[key] ?? NO_FIGURES, contributionOf(record));
      });
      expect(figures).toEqual(countedOnce(delivery.shard));
    });

    // Act
    const result = fc.check(naive, { seed: 20240501, numRuns: 300 });

    // Assess
    expect(result.failed).toBe(true);
  });

  it('counts records of several regions and minutes each into its own window', () => {
    // Prepare
    const records = [
      activityRecord({ status: 'PLACED', region: 'eu-west', occurredAt: '2024-05-01T10:00:59.999Z' }),
      activityRecord({
        status: 'PAID',
        region: 'eu-west',
        occurredAt: '2024-05-01T10:01:00.000Z',
        total: 700,
      }),
      activityRecord({
        status: 'PAID',
        region: 'us-east',
        occurredAt: '2024-05-01T10:01:30.000Z',
        total: 300,
      }),
      activityRecord({ status: 'FULFILLED', region: 'eu-west', occurredAt: '2024-05-01T10:01:59.000Z' }),
      activityRecord({ status: 'SHIPPED', region: 'eu-west', occurredAt: '2024-05-01T10:01:59.500Z' }),
      activityRecord({ status: 'DELIVERED', region: 'us-east', occurredAt: '2024-05-01T10:02:00.000Z' }),
    ];
    const store = new CountingStore();

    // Act
    for (const record of [...records, ...records]) store.count(record);

    // Assess
    expect(store.figures()).toEqual({
      'eu-west#2024-05-01T10:00:00.000Z': { ...NO_FIGURES, placed: 1 },
      'eu-west#2024-05-01T10:01:00.000Z': { ...NO_FIGURES, paid: 1, fulfilled: 1, shipped: 1, revenue: 700 },
      'us-east#2024-05-01T10:01:00.000Z': { ...NO_FIGURES, paid: 1, revenue: 300 },
      'us-east#2024-05-01T10:02:00.000Z': { ...NO_FIGURES, delivered: 1 },
    });
  });
});
