import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeadLetterMessage, planRedrive } from '../../shared/core/redrive.js';

const message = (groupId: string, seq: number, redriveCount = 0): DeadLetterMessage => ({
  messageId: `${groupId}-${seq}-${redriveCount}`,
  groupId,
  orderId: groupId,
  seq,
  redriveCount,
});

const dlqArb = fc
  .array(
    fc.record({
      groupId: fc.constantFrom('A', 'B', 'C'),
      seq: fc.integer({ min: 1, max: 6 }),
      redriveCount: fc.integer({ min: 0, max: 5 }),
    }),
    { maxLength: 25 },
  )
  .map((specs) =>
    specs.map((spec, index) => ({
      ...message(spec.groupId, spec.seq, spec.redriveCount),
      messageId: `m${index}`,
    })),
  );

const optionsArb = fc.record(
  {
    max: fc.integer({ min: 0, max: 30 }),
    orderId: fc.constantFrom('A', 'B', 'Z'),
    parkAfter: fc.integer({ min: 1, max: 4 }),
  },
  { requiredKeys: [] },
);

describe('planRedrive', () => {
  it('sends a group back in seq order even when the DLQ holds OrderPaid before OrderPlaced', () => {
    // Act
    const plan = planRedrive([message('A', 2), message('B', 1), message('A', 1)]);

    // Assess
    expect(plan.move.map(({ groupId, seq }) => `${groupId}${seq}`)).toEqual(['A1', 'A2', 'B1']);
    expect(plan.park).toEqual([]);
    expect(plan.keep).toEqual([]);
  });

  it('parks a message redriven too often and keeps the rest of its group behind it', () => {
    // Act
    const plan = planRedrive([message('A', 1, 3), message('A', 2), message('B', 1, 2)], { parkAfter: 3 });

    // Assess
    expect(plan.park.map(({ message: parked, reason }) => [parked.messageId, reason])).toEqual([
      ['A-1-3', 'redriven 3 times (limit 3)'],
    ]);
    expect(plan.keep.map(({ messageId }) => messageId)).toEqual(['A-2-0']);
    expect(plan.move.map(({ messageId }) => messageId)).toEqual(['B-1-2']);
  });

  it('holds what comes after a message parked by an earlier run, and lets what comes before it go', () => {
    // Act
    const plan = planRedrive([message('A', 3), message('A', 1), message('B', 1)], {
      parkedAt: new Map([['A', 2]]),
    });

    // Assess
    expect(plan.move.map(({ messageId }) => messageId)).toEqual(['A-1-0', 'B-1-0']);
    expect(plan.keep.map(({ messageId }) => messageId)).toEqual(['A-3-0']);
  });

  it('loses nothing: every message is moved, parked or kept, exactly once, whatever the DLQ and options', () => {
    fc.assert(
      fc.property(dlqArb, optionsArb, (dlq, options) => {
        // Act
        const plan = planRedrive(dlq, options);

        // Assess
        const outcome = [...plan.move, ...plan.park.map(({ message: parked }) => parked), ...plan.keep];
        expect(outcome.map(({ messageId }) => messageId).sort()).toEqual(
          dlq.map(({ messageId }) => messageId).sort(),
        );
      }),
    );
  });

  it('moves each group in seq order, within max, only the chosen order, and nothing over the limit', () => {
    fc.assert(
      fc.property(dlqArb, optionsArb, (dlq, options) => {
        // Act
        const { move } = planRedrive(dlq, options);

        // Assess
        expect(move.length).toBeLessThanOrEqual(options.max ?? Number.POSITIVE_INFINITY);
        for (const moved of move) {
          if (options.orderId !== undefined) expect(moved.orderId).toBe(options.orderId);
          expect(moved.redriveCount).toBeLessThan(options.parkAfter ?? 3);
        }
        for (const groupId of new Set(move.map((moved) => moved.groupId))) {
          const seqs = move.filter((moved) => moved.groupId === groupId).map((moved) => moved.seq ?? 0);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        }
      }),
    );
  });

  it('never moves a message of a group past one of it that is parked', () => {
    fc.assert(
      fc.property(dlqArb, optionsArb, (dlq, options) => {
        // Act
        const { move, park } = planRedrive(dlq, options);

        // Assess
        for (const { message: parked } of park) {
          const overtaking = move.filter(
            (moved) => moved.groupId === parked.groupId && (moved.seq ?? 0) > (parked.seq ?? 0),
          );
          expect(overtaking).toEqual([]);
        }
      }),
    );
  });
});
