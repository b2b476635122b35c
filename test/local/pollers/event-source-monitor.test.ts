import { describe, expect, it } from 'vitest';
import { type SourceSnapshot, statusLines } from '../../../local/pollers/event-source-monitor.js';
import { emptyStats } from '../../../local/pollers/event-source-stats.js';

function snapshot(
  label: string,
  stats: Partial<ReturnType<typeof emptyStats>> = {},
  dlqDepth?: number,
): SourceSnapshot {
  return {
    label,
    stats: { ...emptyStats(), ...stats },
    ...(dlqDepth === undefined ? {} : { deadLetters: { name: `${label}-dlq`, depth: dlqDepth } }),
  };
}

describe('statusLines', () => {
  it('prints nothing while every record succeeds', () => {
    // Prepare
    const before = [snapshot('fulfillment → processOrder', { batches: 4, records: 30 }, 0)];
    const after = [snapshot('fulfillment → processOrder', { batches: 9, records: 70 }, 0)];

    // Act
    const lines = statusLines(before, after, 5);

    // Assess
    expect(lines).toEqual([]);
  });

  it('prints one line per source with the interval figures when a record failed', () => {
    // Prepare
    const before = [
      snapshot('fulfillment → processOrder', { batches: 4, records: 30, failedRecords: 1, retries: 2 }, 0),
      snapshot('activity → notifyCustomer', { batches: 1, records: 100 }),
    ];
    const after = [
      snapshot(
        'fulfillment → processOrder',
        { batches: 6, records: 45, failedRecords: 4, retries: 3, inFlight: 2 },
        0,
      ),
      snapshot('activity → notifyCustomer', { batches: 2, records: 130 }),
    ];

    // Act
    const lines = statusLines(before, after, 5);

    // Assess
    expect(lines).toEqual([
      'event sources, last 5 s (shown while records fail or are retried):',
      '  fulfillment → processOrder  2 batches, 15 records, 3 failed, 1 retried, 2 in flight, 0 in fulfillment → processOrder-dlq',
      '  activity → notifyCustomer   1 batches, 30 records, 0 failed, 0 retried, 0 in flight',
    ]);
  });

  it.each([
    ['a redelivered record', { retries: 1 }, 0],
    ['a function error', { functionErrors: 1 }, 0],
    ['a message reaching the DLQ', {}, 1],
  ])('speaks up for %s', (_, stats, dlqDepth) => {
    // Act
    const lines = statusLines([snapshot('s', {}, 0)], [snapshot('s', stats, dlqDepth)], 5);

    // Assess
    expect(lines.length).toBe(2);
  });
});
