import { OrderflowError, ValidationError } from '../core/errors.js';
import type { DeadLetterSource, ParkingStore, RedriveLock, RedriveTarget } from '../core/ports.js';
import { DEFAULT_PARK_AFTER, planRedrive } from '../core/redrive.js';

export interface RedrivePorts {
  source: DeadLetterSource;
  target: RedriveTarget;
  parking: ParkingStore;
  lock: RedriveLock;
}

export interface RedriveOptions {
  /** The queue's name in commands and reports (`fulfillment`, `review`). */
  queue: string;
  dryRun?: boolean;
  /** At most this many messages go back. */
  max?: number;
  orderId?: string;
  parkAfter?: number;
  /**
   * Parked messages (by message id) to put back first, their redrive count reset: the way back once the fix for a
   * poison message shipped. Not with `dryRun`.
   */
  unpark?: readonly string[];
  /** Who holds the lock (a request id, a process id). */
  owner: string;
  lockTtlMs?: number;
}

export interface RedriveReport {
  queue: string;
  dryRun: boolean;
  moved: Array<{ messageId: string; groupId: string; seq: number | undefined; redriveCount: number }>;
  parked: Array<{ messageId: string; groupId: string; reason: string }>;
  /**
   * Staged and not sent this time: over `max` or another order (sent by the next run), or behind a parked message
   * of their group (held until that one is dealt with).
   */
  waiting: number;
  /**
   * A dry run only: heads of DLQ groups not staged yet. A dry run takes nothing out of the DLQ, and a FIFO DLQ shows
   * the next message of a group only once the head is gone, so these are listed, not planned.
   */
  unreadHeads: Array<{ messageId: string; groupId: string; seq: number | undefined }>;
  /** Put back from the parked ones before planning (`unpark`). */
  unparked: Array<{ messageId: string; groupId: string; seq: number | undefined }>;
  /** Ids given to `unpark` that name no parked message of the queue. */
  notParked: string[];
}

/** Another redrive of the same queue holds the lock. */
export class RedriveInProgressError extends OrderflowError {
  override readonly name = 'RedriveInProgressError';
  readonly retryable = true;
  constructor(readonly queue: string) {
    super(`A redrive of ${queue} is already running; try again when it has finished.`);
  }
}

/** Receives at most this many messages per call (SQS's limit). */
const RECEIVE_BATCH = 10;

/**
 * Redrives a FIFO DLQ into its source queue without losing or reordering anything:
 * 1. takes the queue's lock (one redrive per queue at a time), and puts back the parked messages named in `unpark`;
 * 2. reads the DLQ, staging each message in the parking store before deleting it from the DLQ (a FIFO DLQ shows
 *    only the head of each group, so the whole group must be read before it can be sorted);
 * 3. plans over everything staged (this run's and any a dead run left): each group in `seq` order, parking what was
 *    redriven more than `parkAfter` times and holding the rest of its group — in this run and the next — behind it;
 * 4. sends each message back — same group, a fresh deduplication id, its redrive count + 1 — and releases it from
 *    the store only after the send succeeded. A crash anywhere leaves every message in the DLQ, the store, or the
 *    source queue; a repeated send is absorbed by the consumer's `seq` rule.
 * A dry run changes nothing: it plans over what is staged and lists the heads of the DLQ's groups (peeked, not
 * hidden), which it cannot plan without reading the rest of their groups.
 */
export async function runRedrive(ports: RedrivePorts, options: RedriveOptions): Promise<RedriveReport> {
  const { queue, owner, unpark = [] } = options;
  if (options.dryRun && unpark.length > 0) {
    throw new ValidationError([
      {
        field: 'unpark',
        pointer: '#/unpark',
        detail: 'changes the parking table: it cannot be part of a dry run',
      },
    ]);
  }
  if (!(await ports.lock.lock(queue, owner, options.lockTtlMs ?? 15 * 60_000))) {
    throw new RedriveInProgressError(queue);
  }
  try {
    const unparked: RedriveReport['unparked'] = [];
    const notParked: string[] = [];
    for (const messageId of unpark) {
      const message = await ports.parking.unpark(queue, messageId);
      if (message === undefined) notParked.push(messageId);
      else unparked.push({ messageId, groupId: message.groupId, seq: message.seq });
    }
    if (!options.dryRun) await stageAll(ports, queue);
    const staged = await ports.parking.staged(queue);
    const plan = planRedrive(staged, {
      ...(options.max === undefined ? {} : { max: options.max }),
      ...(options.orderId === undefined ? {} : { orderId: options.orderId }),
      parkAfter: options.parkAfter ?? DEFAULT_PARK_AFTER,
      parkedAt: await ports.parking.parkedAt(queue),
    });
    const stagedIds = new Set(staged.map((message) => message.messageId));
    // A dry run takes nothing out of the DLQ, and a FIFO DLQ shows only the head of each group.
    const unread = options.dryRun
      ? (await ports.source.peek(RECEIVE_BATCH)).filter((message) => !stagedIds.has(message.messageId))
      : [];
    const report: RedriveReport = {
      queue,
      dryRun: options.dryRun === true,
      moved: plan.move.map(({ messageId, groupId, seq, redriveCount }) => ({
        messageId,
        groupId,
        seq,
        redriveCount: redriveCount + 1,
      })),
      parked: plan.park.map(({ message, reason }) => ({
        messageId: message.messageId,
        groupId: message.groupId,
        reason,
      })),
      waiting: plan.keep.length,
      unreadHeads: unread.map(({ messageId, groupId, seq }) => ({ messageId, groupId, seq })),
      unparked,
      notParked,
    };
    if (options.dryRun) return report;
    for (const { message, reason } of plan.park) {
      await ports.parking.park(queue, message, reason);
    }
    for (const message of plan.move) {
      const redriveCount = message.redriveCount + 1;
      await ports.target.send(message, `${message.messageId}:redrive:${redriveCount}`, redriveCount);
      await ports.parking.release(queue, message);
    }
    return report;
  } finally {
    await ports.lock.unlock(queue, owner);
  }
}

/** Moves every message of the DLQ into the store: staged first, deleted from the DLQ after. */
async function stageAll(ports: RedrivePorts, queue: string): Promise<void> {
  for (;;) {
    const received = await ports.source.receive(RECEIVE_BATCH);
    if (received.length === 0) return;
    for (const message of received) {
      await ports.parking.stage(queue, message);
      await ports.source.delete(message);
    }
  }
}
