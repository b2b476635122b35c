/** A record of a FIFO batch, in batch order: its id and its message group. */
export interface FifoBatchItem {
  id: string;
  groupId: string;
}

/**
 * The ids to report as failed in a FIFO batch: each failed record and every later record of its message group
 * (they must not overtake it), in batch order. Other groups go on.
 *
 * @example
 * // [A1 ok, A2 fails, B1 ok, A3, B2 ok]
 * planGroupFailures([{ id: 'A1', groupId: 'A' }, { id: 'A2', groupId: 'A' }, { id: 'B1', groupId: 'B' },
 *   { id: 'A3', groupId: 'A' }, { id: 'B2', groupId: 'B' }], new Set(['A2'])) // ['A2', 'A3']
 */
export function planGroupFailures(items: readonly FifoBatchItem[], failedIds: ReadonlySet<string>): string[] {
  const failedGroups = new Set<string>();
  const report: string[] = [];
  for (const item of items) {
    if (failedGroups.has(item.groupId) || failedIds.has(item.id)) {
      failedGroups.add(item.groupId);
      report.push(item.id);
    }
  }
  return report;
}
