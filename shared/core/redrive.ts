/**
 * Redrive planning (issue 6, first part): which messages of a dead-letter queue go back to their source queue, in
 * what order, and which are parked instead. Pure: the redrive command and Lambda act on the plan.
 */

/** A message as received from a DLQ. `seq` is the event's, when its body is an orderflow event. */
export interface DeadLetterMessage {
  messageId: string;
  groupId: string;
  orderId: string | undefined;
  seq: number | undefined;
  /** How many times this message was redriven before (its redrive-count attribute; 0 when absent). */
  redriveCount: number;
}

export interface RedriveOptions {
  /** At most this many messages move (parked ones do not count). */
  max?: number;
  /** Only this order's messages. */
  orderId?: string;
  /** A message redriven more than this many times is parked instead of looping (default 3). */
  parkAfter?: number;
  /**
   * Per group, the lowest `seq` of a message parked earlier: nothing after it moves until it is dealt with (it would
   * meet a gap); what comes before it, or is a copy of it, still does.
   */
  parkedAt?: ReadonlyMap<string, number>;
}

export interface RedrivePlan<M extends DeadLetterMessage = DeadLetterMessage> {
  /** To send back, in this order: each group in `seq` order, groups in the order the DLQ first showed them. */
  move: M[];
  /** To park, with the reason. */
  park: Array<{ message: M; reason: string }>;
  /** Left where they are (filtered out, over `max`, or behind a parked message of its group). */
  keep: M[];
}

export const DEFAULT_PARK_AFTER = 3;

/**
 * Plans a redrive. Each message group goes back in `seq` order, not in DLQ order: a DLQ can hold an order's
 * OrderPaid before its OrderPlaced, and sending them back in that order would dead-letter both again forever (the
 * property test of the sequencing rule shows it). A message over the redrive limit is parked, and the rest of its
 * group stays in the DLQ, so that no later event overtakes it. Every message ends in exactly one of the three lists.
 *
 * @example
 * planRedrive([paid2, placed1], {}) // { move: [placed1, paid2], park: [], keep: [] }
 */
export function planRedrive<M extends DeadLetterMessage>(
  messages: readonly M[],
  options: RedriveOptions = {},
): RedrivePlan<M> {
  const parkAfter = options.parkAfter ?? DEFAULT_PARK_AFTER;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const plan: RedrivePlan<M> = { move: [], park: [], keep: [] };
  const groups = new Map<string, M[]>();
  for (const message of messages) {
    if (options.orderId !== undefined && message.orderId !== options.orderId) {
      plan.keep.push(message);
      continue;
    }
    const group = groups.get(message.groupId);
    if (group === undefined) groups.set(message.groupId, [message]);
    else group.push(message);
  }
  for (const [groupId, group] of groups) {
    const ordered = [...group].sort(bySeq);
    const parkedAt = options.parkedAt?.get(groupId);
    let blocked = false;
    for (const message of ordered) {
      // Strictly after: a message with the parked one's seq is a copy of that event, and a copy may go.
      if (parkedAt !== undefined && (message.seq === undefined || message.seq > parkedAt)) blocked = true;
      if (blocked || plan.move.length >= max) {
        plan.keep.push(message);
      } else if (message.redriveCount >= parkAfter) {
        plan.park.push({ message, reason: `redriven ${message.redriveCount} times (limit ${parkAfter})` });
        blocked = true;
      } else {
        plan.move.push(message);
      }
    }
  }
  return plan;
}

/** By `seq`; messages without one (not orderflow events) keep their DLQ order, after those with one. */
function bySeq(a: DeadLetterMessage, b: DeadLetterMessage): number {
  if (a.seq === undefined || b.seq === undefined)
    return a.seq === undefined ? (b.seq === undefined ? 0 : 1) : -1;
  return a.seq - b.seq;
}
