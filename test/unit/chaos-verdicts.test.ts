import { describe, expect, it } from 'vitest';
import type { ChaosOrderOutcome, SentRequest } from '../../local/chaos/chaos-driver.js';
import {
  judgeChaosStatuses,
  judgeGhostOrders,
  judgeRepeatedCreates,
} from '../../local/chaos/chaos-verdicts.js';
import type { ChaosOrderPlan } from '../../local/chaos/chaos-workload.js';
import type { StatusMessage } from '../../local/load/verdicts.js';
import type { ExpectedOrder } from '../../local/load/workload.js';

const FULFILLED: ExpectedOrder = {
  status: 'FULFILLED',
  version: 3,
  path: ['PLACED', 'PAID', 'FULFILLED'],
  paid: true,
};

/** Statuses of order `o-1`, arriving a millisecond apart from `start`. */
function arrivals(sequence: string, start = 0): StatusMessage[] {
  return sequence.split(' ').map((seq, index) => ({
    orderId: 'o-1',
    seq: Number(seq),
    status: FULFILLED.path[Number(seq) - 1] ?? 'UNKNOWN',
    arrivedAt: start + index,
  }));
}

const expected = new Map([['o-1', FULFILLED]]);

describe('judgeChaosStatuses', () => {
  it('allows a status delivered again after a later one (at least once delivery), and counts it', () => {
    // Act
    const verdict = judgeChaosStatuses(expected, arrivals('1 2 3 1 2 3'), []);

    // Assess
    expect(verdict.outOfOrder.count).toBe(0);
    expect(verdict.incomplete.count).toBe(0);
    expect(verdict.staleRepeats).toBe(2);
  });

  it('finds a status first arriving after a later one', () => {
    // Act
    const verdict = judgeChaosStatuses(expected, arrivals('1 3 2'), []);

    // Assess
    expect(verdict.outOfOrder.count).toBe(1);
  });

  it('exempts from the order a status first sent by a replay, and counts it for completeness', () => {
    // Prepare: PAID was skipped by the consumer, FULFILLED went out, the replay sent PAID later.
    const live = arrivals('1 3');
    const replayed = { ...(arrivals('2')[0] as StatusMessage), arrivedAt: 1_000 };

    // Act
    const verdict = judgeChaosStatuses(expected, [...live, replayed], [{ from: 900, to: 1_100 }]);

    // Assess
    expect(verdict.outOfOrder.count).toBe(0);
    expect(verdict.incomplete.count).toBe(0);
    expect(verdict.replayed).toBe(1);
  });

  it('still finds a status that never arrived', () => {
    expect(judgeChaosStatuses(expected, arrivals('1 3'), []).incomplete.examples).toEqual([
      { orderId: 'o-1', missing: [2], seen: 'PLACED#1 FULFILLED#3' },
    ]);
  });
});

describe('judgeGhostOrders', () => {
  it("finds an order of the run's customers on the stream that no answer named", () => {
    // Prepare
    const records = [
      { eventId: 'e-1', orderId: 'o-1', customerId: 'chaos-run-1', status: 'PLACED', seq: 1 },
      { eventId: 'e-2', orderId: 'o-2', customerId: 'chaos-run-2', status: 'PLACED', seq: 1 },
      { eventId: 'e-3', orderId: 'o-3', customerId: 'someone-else', status: 'PLACED', seq: 1 },
    ];

    // Act
    const ghosts = judgeGhostOrders(records, new Set(['o-1']), 'chaos-run-');

    // Assess
    expect(ghosts.examples).toEqual([{ orderId: 'o-2', customerId: 'chaos-run-2', statuses: 'PLACED#1' }]);
  });
});

describe('judgeRepeatedCreates', () => {
  const created = (orderId: string): SentRequest => ({
    statuses: [201],
    answer: { status: 201, body: { orderId }, retries: 0 },
  });
  const outcome = (creates: SentRequest[]): ChaosOrderOutcome => ({
    plan: { index: 4 } as ChaosOrderPlan,
    postSentAt: 0,
    creates,
    pays: [],
    cancels: [],
  });

  it('finds a repeated create whose answers name two orders, and passes one that names the same order twice', () => {
    // Act
    const twice = judgeRepeatedCreates([
      outcome([created('o-1'), created('o-2')]),
      outcome([created('o-3'), created('o-3')]),
    ]);

    // Assess
    expect(twice.examples).toEqual([{ index: 4, orderIds: ['o-1', 'o-2'] }]);
  });
});
