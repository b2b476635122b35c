import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FifoBatchItem } from '../../shared/core/fifo-batch.js';
import { planGroupFailures } from '../../shared/core/fifo-batch.js';

interface Batch {
  items: FifoBatchItem[];
  failedIds: Set<string>;
}

/**
 * A FIFO batch as Lambda hands it over: at most ten records, a few message groups interleaved, each record's id
 * unique and each group's records in group order (`A1`, `A2`, …); any of them may fail.
 */
const batchArb: fc.Arbitrary<Batch> = fc
  .array(fc.record({ groupId: fc.constantFrom('A', 'B', 'C', 'D'), fails: fc.boolean() }), { maxLength: 10 })
  .map((records) => {
    const counts = new Map<string, number>();
    const items: FifoBatchItem[] = [];
    const failedIds = new Set<string>();
    for (const { groupId, fails } of records) {
      const count = (counts.get(groupId) ?? 0) + 1;
      counts.set(groupId, count);
      const id = `${groupId}${count}`;
      items.push({ id, groupId });
      if (fails) failedIds.add(id);
    }
    return { items, failedIds };
  });

/** Whether a record of the same group at or before `index` failed. */
function failedAtOrBefore({ items, failedIds }: Batch, index: number): boolean {
  const groupId = items[index]?.groupId;
  return items.slice(0, index + 1).some((item) => item.groupId === groupId && failedIds.has(item.id));
}

describe('planGroupFailures', () => {
  it('reports the failed record and the rest of its group, and lets other groups go on', () => {
    // Prepare: [A1 ok, A2 fails, B1 ok, A3, B2 ok]
    const items: FifoBatchItem[] = [
      { id: 'A1', groupId: 'A' },
      { id: 'A2', groupId: 'A' },
      { id: 'B1', groupId: 'B' },
      { id: 'A3', groupId: 'A' },
      { id: 'B2', groupId: 'B' },
    ];

    // Act
    const report = planGroupFailures(items, new Set(['A2']));

    // Assess
    expect(report).toEqual(['A2', 'A3']);
  });

  it.each<{ name: string; items: FifoBatchItem[]; failed: string[]; expected: string[] }>([
    { name: 'an empty batch', items: [], failed: [], expected: [] },
    {
      name: 'a batch without failures',
      items: [
        { id: 'A1', groupId: 'A' },
        { id: 'B1', groupId: 'B' },
      ],
      failed: [],
      expected: [],
    },
    {
      name: 'a failure in the first record of every group',
      items: [
        { id: 'A1', groupId: 'A' },
        { id: 'B1', groupId: 'B' },
        { id: 'A2', groupId: 'A' },
        { id: 'B2', groupId: 'B' },
      ],
      failed: ['B1', 'A1'],
      expected: ['A1', 'B1', 'A2', 'B2'],
    },
    {
      name: 'a failure in the last record of a group',
      items: [
        { id: 'A1', groupId: 'A' },
        { id: 'A2', groupId: 'A' },
        { id: 'B1', groupId: 'B' },
      ],
      failed: ['A2'],
      expected: ['A2'],
    },
    {
      name: 'a failed id that is not in the batch',
      items: [{ id: 'A1', groupId: 'A' }],
      failed: ['Z9'],
      expected: [],
    },
  ])('plans $name', ({ items, failed, expected }) => {
    expect(planGroupFailures(items, new Set(failed))).toEqual(expected);
  });

  it('reports every failed record', () => {
    fc.assert(
      fc.property(batchArb, ({ items, failedIds }) => {
        // Act
        const report = new Set(planGroupFailures(items, failedIds));

        // Assess
        for (const id of failedIds) expect(report.has(id)).toBe(true);
      }),
    );
  });

  it('reports only failed records and records after a failure of their own group', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        // Act
        const report = planGroupFailures(batch.items, batch.failedIds);

        // Assess
        for (const id of report) {
          const index = batch.items.findIndex((item) => item.id === id);
          expect(index).toBeGreaterThanOrEqual(0);
          expect(failedAtOrBefore(batch, index)).toBe(true);
        }
      }),
    );
  });

  it('reports every record after a failure of its group, so none overtakes it', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        // Act
        const report = new Set(planGroupFailures(batch.items, batch.failedIds));

        // Assess
        batch.items.forEach((item, index) => {
          if (failedAtOrBefore(batch, index)) expect(report.has(item.id)).toBe(true);
        });
      }),
    );
  });

  it('reports no record of a group without failures', () => {
    fc.assert(
      fc.property(batchArb, ({ items, failedIds }) => {
        // Prepare
        const failingGroups = new Set(
          items.filter((item) => failedIds.has(item.id)).map((item) => item.groupId),
        );

        // Act
        const report = new Set(planGroupFailures(items, failedIds));

        // Assess
        for (const item of items) {
          if (!failingGroups.has(item.groupId)) expect(report.has(item.id)).toBe(false);
        }
      }),
    );
  });

  it('reports in batch order, each record once', () => {
    fc.assert(
      fc.property(batchArb, ({ items, failedIds }) => {
        // Act
        const report = planGroupFailures(items, failedIds);

        // Assess: the report is the batch with the records that go on left out.
        const reported = new Set(report);
        expect(report).toEqual(items.map((item) => item.id).filter((id) => reported.has(id)));
        expect(reported.size).toBe(report.length);
      }),
    );
  });

  it('does not change the batch or the failed ids it plans from', () => {
    fc.assert(
      fc.property(batchArb, ({ items, failedIds }) => {
        // Prepare
        const itemsBefore = structuredClone(items);
        const failedBefore = new Set(failedIds);

        // Act
        planGroupFailures(items, failedIds);

        // Assess
        expect(items).toEqual(itemsBefore);
        expect(failedIds).toEqual(failedBefore);
      }),
    );
  });
});
