import { describe, expect, it } from 'vitest';
import {
  type ActivityObservation,
  judgeAnalytics,
  judgeOrders,
  judgeStatuses,
  judgeStream,
  latencyOf,
  MAX_EXAMPLES,
  percentile,
  type StatusMessage,
  settledAt,
} from '../../local/load/verdicts.js';
import { type ExpectedOrder, expectedFinalState } from '../../local/load/workload.js';
import { NO_FIGURES } from '../../shared/core/analytics.js';

const FULFILLED: ExpectedOrder = {
  status: 'FULFILLED',
  version: 3,
  path: ['PLACED', 'PAID', 'FULFILLED'],
  paid: true,
};
const CANCELLED_UNPAID: ExpectedOrder = {
  status: 'CANCELLED',
  version: 2,
  path: ['PLACED', 'CANCELLED'],
  paid: false,
};

/** The statuses of order `o-1` arriving one millisecond apart, in the order given. */
function arrivals(...statuses: Array<[string, number]>): StatusMessage[] {
  return statuses.map(([status, seq], index) => ({ orderId: 'o-1', status, seq, arrivedAt: 1000 + index }));
}

/** Activity records of order `o-1`: `[status, seq, eventId]`. */
function records(...changes: Array<[string, number, string]>): ActivityObservation[] {
  return changes.map(([status, seq, eventId]) => ({ orderId: 'o-1', status, seq, eventId }));
}

describe('the expected final state of an order, from its HTTP answers', () => {
  it.each([
    ['a pay accepted and no cancel', { pay: 202 }, 'FULFILLED', ['PLACED', 'PAID', 'FULFILLED'], true],
    [
      'a pay accepted and a cancel refused',
      { pay: 202, cancel: 409 },
      'FULFILLED',
      ['PLACED', 'PAID', 'FULFILLED'],
      true,
    ],
    [
      'a cancel accepted and the pay refused',
      { pay: 409, cancel: 202 },
      'CANCELLED',
      ['PLACED', 'CANCELLED'],
      false,
    ],
    [
      'both accepted: the pay came first',
      { pay: 202, cancel: 202 },
      'CANCELLED',
      ['PLACED', 'PAID', 'CANCELLED'],
      true,
    ],
  ] as const)('ends %s as expected', (_, answers, status, path, paid) => {
    // Act
    const expectation = expectedFinalState(answers);

    // Assess
    expect(expectation).toEqual({ kind: 'known', expected: { status, version: path.length, path, paid } });
  });

  it.each([
    ['both refused', { pay: 409, cancel: 409 }],
    ['a pay that kept failing', { pay: 503 }],
    ['no answer at all', { pay: 0 }],
    ['a cancel that failed', { pay: 202, cancel: 500 }],
  ])('commits to nothing when %s', (_, answers) => {
    // Act
    const expectation = expectedFinalState(answers);

    // Assess
    expect(expectation.kind).toBe('unknown');
  });
});

describe('judging the MQTT statuses of an order', () => {
  const expected = new Map([['o-1', FULFILLED]]);

  it('accepts every status once and in seq order', () => {
    // Act
    const verdict = judgeStatuses(expected, arrivals(['PLACED', 1], ['PAID', 2], ['FULFILLED', 3]));

    // Assess
    expect(verdict).toMatchObject({ messages: 3, repeated: 0 });
    expect([verdict.incomplete.count, verdict.outOfOrder.count, verdict.unexpected.count]).toEqual([0, 0, 0]);
  });

  it('accepts a status repeated right after itself (QoS 1 redelivery), and counts the repeat', () => {
    // Act
    const verdict = judgeStatuses(
      expected,
      arrivals(['PLACED', 1], ['PAID', 2], ['PAID', 2], ['FULFILLED', 3]),
    );

    // Assess
    expect(verdict.repeated).toBe(1);
    expect(verdict.outOfOrder.count).toBe(0);
  });

  it('reports an order whose statuses arrived out of seq order', () => {
    // Act
    const verdict = judgeStatuses(expected, arrivals(['PLACED', 1], ['FULFILLED', 3], ['PAID', 2]));

    // Assess
    expect(verdict.outOfOrder).toEqual({
      count: 1,
      examples: [{ orderId: 'o-1', arrived: 'PLACED#1 FULFILLED#3 PAID#2' }],
    });
  });

  it('reports a redelivered lower seq after a higher one as out of order', () => {
    // Act
    const verdict = judgeStatuses(
      expected,
      arrivals(['PLACED', 1], ['PAID', 2], ['FULFILLED', 3], ['PAID', 2]),
    );

    // Assess
    expect(verdict.outOfOrder.count).toBe(1);
  });

  it('reports the seqs that never arrived', () => {
    // Act
    const verdict = judgeStatuses(expected, arrivals(['PLACED', 1], ['FULFILLED', 3]));

    // Assess
    expect(verdict.incomplete.examples).toEqual([
      { orderId: 'o-1', missing: [2], seen: 'PLACED#1 FULFILLED#3' },
    ]);
  });

  it('reports an order of which nothing arrived', () => {
    // Act
    const verdict = judgeStatuses(expected, []);

    // Assess
    expect(verdict.incomplete.examples).toEqual([{ orderId: 'o-1', missing: [1, 2, 3], seen: 'nothing' }]);
  });

  it('reports a status that is not the one of its seq', () => {
    // Act
    const verdict = judgeStatuses(expected, arrivals(['PLACED', 1], ['PAID', 2], ['CANCELLED', 3]));

    // Assess
    expect(verdict.unexpected.examples).toEqual([
      { orderId: 'o-1', seq: 3, status: 'CANCELLED', expected: 'FULFILLED' },
    ]);
  });

  it("ignores other orders' statuses", () => {
    // Act
    const verdict = judgeStatuses(expected, [
      ...arrivals(['PLACED', 1], ['PAID', 2], ['FULFILLED', 3]),
      { orderId: 'someone-else', status: 'PAID', seq: 9, arrivedAt: 0 },
    ]);

    // Assess
    expect(verdict.messages).toBe(3);
    expect(verdict.unexpected.count).toBe(0);
  });
});

describe('judging the status changes on Kinesis', () => {
  const expected = new Map([['o-1', FULFILLED]]);

  it('counts the same eventId twice as one change (a producer retry)', () => {
    // Act
    const verdict = judgeStream(
      expected,
      records(['PLACED', 1, 'e1'], ['PAID', 2, 'e2'], ['PAID', 2, 'e2'], ['FULFILLED', 3, 'e3']),
    );

    // Assess
    expect(verdict).toMatchObject({ records: 4, repeated: 1 });
    expect([verdict.missing.count, verdict.duplicated.count, verdict.unexpected.count]).toEqual([0, 0, 0]);
  });

  it('reports one (orderId, seq) carried by two eventIds: a change made twice', () => {
    // Act
    const verdict = judgeStream(
      expected,
      records(['PLACED', 1, 'e1'], ['PAID', 2, 'e2'], ['PAID', 2, 'e2-again'], ['FULFILLED', 3, 'e3']),
    );

    // Assess
    expect(verdict.duplicated).toEqual({
      count: 1,
      examples: [{ orderId: 'o-1', seq: 2, eventIds: ['e2', 'e2-again'] }],
    });
  });

  it('reports a seq of 1..version that is not on the stream', () => {
    // Act
    const verdict = judgeStream(expected, records(['PLACED', 1, 'e1'], ['PAID', 2, 'e2']));

    // Assess
    expect(verdict.missing.examples).toEqual([{ orderId: 'o-1', missing: [3], seen: 'PLACED#1 PAID#2' }]);
  });

  it('reports a change beyond the expected version', () => {
    // Act
    const verdict = judgeStream(
      new Map([['o-1', CANCELLED_UNPAID]]),
      records(['PLACED', 1, 'e1'], ['CANCELLED', 2, 'e2'], ['FULFILLED', 3, 'e3']),
    );

    // Assess
    expect(verdict.unexpected.examples).toEqual([
      { orderId: 'o-1', seq: 3, status: 'FULFILLED', expected: 'nothing (version 2)' },
    ]);
  });
});

describe('judging the orders read back', () => {
  it('reports an order not at its expected status and version, and one that could not be read', () => {
    // Prepare
    const expected = new Map([
      ['o-ok', FULFILLED],
      ['o-stuck', FULFILLED],
      ['o-gone', CANCELLED_UNPAID],
    ]);
    const readBack = new Map([
      ['o-ok', { status: 'FULFILLED', version: 3 }],
      ['o-stuck', { status: 'PAID', version: 2 }],
      ['o-gone', undefined],
    ]);

    // Act
    const lost = judgeOrders(expected, readBack);

    // Assess
    expect(lost).toEqual({
      count: 2,
      examples: [
        { orderId: 'o-stuck', expected: 'FULFILLED v3', actual: 'PAID v2' },
        { orderId: 'o-gone', expected: 'CANCELLED v2', actual: 'not readable' },
      ],
    });
  });

  it(`keeps ${MAX_EXAMPLES} examples however many orders were lost`, () => {
    // Prepare
    const expected = new Map(Array.from({ length: 12 }, (_, index) => [`o-${index}`, FULFILLED] as const));

    // Act
    const lost = judgeOrders(expected, new Map());

    // Assess
    expect(lost.count).toBe(12);
    expect(lost.examples).toHaveLength(MAX_EXAMPLES);
  });
});

describe('judging the analytics windows', () => {
  it('names the region whose windows do not add up, and sums every region', () => {
    // Prepare
    const expected = new Map([
      ['lt-a', { ...NO_FIGURES, placed: 2, paid: 1, revenue: 500, fulfilled: 1 }],
      ['lt-b', { ...NO_FIGURES, placed: 1, cancelled: 1 }],
    ]);
    const actual = new Map([
      ['lt-a', { ...NO_FIGURES, placed: 2, paid: 1, revenue: 500, fulfilled: 1 }],
      ['lt-b', { ...NO_FIGURES, placed: 1 }],
    ]);

    // Act
    const verdict = judgeAnalytics(['lt-a', 'lt-b', 'lt-c'], expected, actual);

    // Assess
    expect(verdict.expected).toEqual({
      ...NO_FIGURES,
      placed: 3,
      paid: 1,
      cancelled: 1,
      fulfilled: 1,
      revenue: 500,
    });
    expect(verdict.actual).toEqual({
      ...NO_FIGURES,
      placed: 3,
      paid: 1,
      cancelled: 0,
      fulfilled: 1,
      revenue: 500,
    });
    expect(verdict.mismatched.examples.map(({ region }) => region)).toEqual(['lt-b']);
  });

  it('holds when every region adds up, regions without orders included', () => {
    // Act
    const verdict = judgeAnalytics(['lt-a', 'lt-b'], new Map(), new Map());

    // Assess
    expect(verdict.mismatched.count).toBe(0);
  });
});

describe('latency figures', () => {
  it.each([
    [[5], 50, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 95, 4],
    [Array.from({ length: 100 }, (_, index) => index + 1), 99, 99],
    [[30, 10, 20], 100, 30],
  ])('takes the nearest-rank percentile of %j at p%i: %i', (values, p, expected) => {
    // Act
    const value = percentile(values, p);

    // Assess
    expect(value).toBe(expected);
  });

  it('has no percentile of nothing', () => {
    // Act
    const summary = latencyOf([]);

    // Assess
    expect(summary).toEqual({ count: 0, p50: undefined, p95: undefined, p99: undefined, max: undefined });
  });

  it('settles an order when its final status arrives at its final seq, at the first such arrival', () => {
    // Act
    const at = settledAt(FULFILLED, [
      ...arrivals(['PLACED', 1], ['PAID', 2]),
      { orderId: 'o-1', status: 'FULFILLED', seq: 3, arrivedAt: 2000 },
      { orderId: 'o-1', status: 'FULFILLED', seq: 3, arrivedAt: 2500 },
    ]);

    // Assess
    expect(at).toBe(2000);
    expect(settledAt(FULFILLED, arrivals(['PLACED', 1], ['PAID', 2]))).toBeUndefined();
  });
});
