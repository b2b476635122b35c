import type { RedrivePorts } from '../../shared/app/redrive-dlq.js';
import type {
  DeadLetterSource,
  ParkingStore,
  ReceivedDeadLetter,
  RedriveLock,
  RedriveTarget,
} from '../../shared/core/ports.js';

/**
 * In-memory ports of a redrive, modelling an SQS FIFO DLQ, its FIFO source queue, a durable parking store and a
 * conditional lock with expiry. Any method can be told to throw at its Nth call (`Faults`).
 */

/** Where a fake can fail. `send` throws before the message is in the queue, `sendThenCrash` after. */
export type FaultPoint =
  | 'receive'
  | 'delete'
  | 'stage'
  | 'park'
  | 'send'
  | 'sendThenCrash'
  | 'release'
  | 'unpark'
  | 'lockRelease';

export class InjectedFault extends Error {
  constructor(
    readonly point: FaultPoint,
    readonly call: number,
  ) {
    super(`injected fault at ${point} call ${call}`);
    this.name = 'InjectedFault';
  }
}

/** Counts the calls at each point and throws at the one it was told to (once). */
export class Faults {
  readonly #calls = new Map<FaultPoint, number>();
  #armed: { point: FaultPoint; at: number } | undefined;
  #fired = false;

  failAt(point: FaultPoint, at: number): void {
    this.#armed = { point, at };
    this.#calls.clear();
  }

  clear(): void {
    this.#armed = undefined;
  }

  /** Whether the armed fault has thrown. */
  get fired(): boolean {
    return this.#fired;
  }

  check(point: FaultPoint): void {
    const call = (this.#calls.get(point) ?? 0) + 1;
    this.#calls.set(point, call);
    if (this.#armed?.point === point && this.#armed.at === call) {
      this.#armed = undefined;
      this.#fired = true;
      throw new InjectedFault(point, call);
    }
  }
}

/** Lets other runs interleave, as a network call would. */
const tick = async (): Promise<void> => {
  await new Promise<void>((resolve) => setImmediate(resolve));
};

/**
 * A FIFO DLQ: `receive` gives at most the head of each group whose head is not in flight, and hides it until it is
 * deleted or its visibility times out (`expireVisibility`); `peek` gives the visible heads without hiding them.
 */
export class FakeFifoDeadLetterQueue implements DeadLetterSource {
  readonly #messages: ReceivedDeadLetter[] = [];
  /** messageId → the receipt handle of its current receive. */
  readonly #inFlight = new Map<string, string>();
  #receipts = 0;

  constructor(private readonly faults: Faults) {}

  add(...messages: ReceivedDeadLetter[]): void {
    this.#messages.push(...messages);
  }

  /** Every message still in the DLQ, in flight or not, in arrival order. */
  get messages(): ReceivedDeadLetter[] {
    return [...this.#messages];
  }

  /** The visibility timeout of every message in flight passes: they can be received again. */
  expireVisibility(): void {
    this.#inFlight.clear();
  }

  #visibleHeads(maxMessages: number): ReceivedDeadLetter[] {
    const seen = new Set<string>();
    const heads: ReceivedDeadLetter[] = [];
    for (const message of this.#messages) {
      if (seen.has(message.groupId)) continue;
      seen.add(message.groupId);
      // A group with a message in flight is blocked: nothing of it is visible.
      if (this.#inFlight.has(message.messageId)) continue;
      if (heads.length < maxMessages) heads.push(message);
    }
    return heads;
  }

  async receive(maxMessages: number): Promise<ReceivedDeadLetter[]> {
    await tick();
    this.faults.check('receive');
    return this.#visibleHeads(maxMessages).map((message) => {
      const receiptHandle = `rh-${++this.#receipts}`;
      this.#inFlight.set(message.messageId, receiptHandle);
      return { ...message, receiptHandle };
    });
  }

  async peek(maxMessages: number): Promise<ReceivedDeadLetter[]> {
    await tick();
    return this.#visibleHeads(maxMessages).map((message) => ({ ...message }));
  }

  async delete(message: ReceivedDeadLetter): Promise<void> {
    await tick();
    this.faults.check('delete');
    if (this.#inFlight.get(message.messageId) !== message.receiptHandle) {
      throw new Error(`ReceiptHandleIsInvalid: ${message.receiptHandle}`);
    }
    this.#inFlight.delete(message.messageId);
    const index = this.#messages.findIndex((held) => held.messageId === message.messageId);
    if (index >= 0) this.#messages.splice(index, 1);
  }
}

/** A message as it reached the source queue. */
export interface SentMessage {
  /** The DLQ message it came from. */
  messageId: string;
  groupId: string;
  orderId: string | undefined;
  seq: number | undefined;
  deduplicationId: string;
  redriveCount: number;
}

/** The FIFO source queue: a list per group, deduplicated by id (the 5-minute window covers a test). */
export class FakeFifoSourceQueue implements RedriveTarget {
  readonly groups = new Map<string, SentMessage[]>();
  /** Every send that reached the queue, in order (also those deduplicated). */
  readonly log: SentMessage[] = [];
  readonly #deduplicationIds = new Set<string>();

  constructor(private readonly faults: Faults) {}

  async send(message: ReceivedDeadLetter, deduplicationId: string, redriveCount: number): Promise<void> {
    await tick();
    this.faults.check('send');
    const sent: SentMessage = {
      messageId: message.messageId,
      groupId: message.groupId,
      orderId: message.orderId,
      seq: message.seq,
      deduplicationId,
      redriveCount,
    };
    this.log.push(sent);
    if (!this.#deduplicationIds.has(deduplicationId)) {
      this.#deduplicationIds.add(deduplicationId);
      const group = this.groups.get(message.groupId);
      if (group === undefined) this.groups.set(message.groupId, [sent]);
      else group.push(sent);
    }
    // The process dies after SendMessage returned, before the redrive could record it.
    this.faults.check('sendThenCrash');
  }

  get messages(): SentMessage[] {
    return [...this.groups.values()].flat();
  }
}

/** A durable store: what is staged or parked survives any crash of a run. */
export class FakeParkingStore implements ParkingStore {
  readonly #staged = new Map<string, Map<string, ReceivedDeadLetter>>();
  readonly #parked = new Map<string, Map<string, { message: ReceivedDeadLetter; reason: string }>>();

  constructor(private readonly faults: Faults) {}

  #of<V>(maps: Map<string, Map<string, V>>, queue: string): Map<string, V> {
    let map = maps.get(queue);
    if (map === undefined) {
      map = new Map();
      maps.set(queue, map);
    }
    return map;
  }

  async stage(queue: string, message: ReceivedDeadLetter): Promise<void> {
    await tick();
    this.faults.check('stage');
    this.#of(this.#staged, queue).set(message.messageId, { ...message });
  }

  async staged(queue: string): Promise<ReceivedDeadLetter[]> {
    await tick();
    return [...this.#of(this.#staged, queue).values()].map((message) => ({ ...message }));
  }

  async park(queue: string, message: ReceivedDeadLetter, reason: string): Promise<void> {
    await tick();
    this.faults.check('park');
    this.#of(this.#parked, queue).set(message.messageId, { message: { ...message }, reason });
    this.#of(this.#staged, queue).delete(message.messageId);
  }

  async parkedAt(queue: string): Promise<Map<string, number>> {
    const lowest = new Map<string, number>();
    for (const { message } of this.#of(this.#parked, queue).values()) {
      const seq = message.seq ?? 0;
      lowest.set(message.groupId, Math.min(seq, lowest.get(message.groupId) ?? seq));
    }
    return lowest;
  }

  async release(queue: string, message: ReceivedDeadLetter): Promise<void> {
    await tick();
    this.faults.check('release');
    this.#of(this.#staged, queue).delete(message.messageId);
  }

  /** Fault point `unpark`: after staging, before the parked copy is removed. */
  async unpark(queue: string, messageId: string): Promise<ReceivedDeadLetter | undefined> {
    await tick();
    const parked = this.#of(this.#parked, queue).get(messageId);
    if (parked === undefined) return undefined;
    const message = { ...parked.message, redriveCount: 0 };
    this.#of(this.#staged, queue).set(messageId, message);
    this.faults.check('unpark');
    this.#of(this.#parked, queue).delete(messageId);
    return { ...message };
  }

  stagedNow(queue: string): ReceivedDeadLetter[] {
    return [...this.#of(this.#staged, queue).values()];
  }

  parkedNow(queue: string): Array<{ message: ReceivedDeadLetter; reason: string }> {
    return [...this.#of(this.#parked, queue).values()];
  }
}

/** A conditional record per queue with an expiry, on a clock the test moves. */
export class FakeRedriveLock implements RedriveLock {
  readonly records = new Map<string, { owner: string; expiresAt: number }>();
  now = 0;

  constructor(private readonly faults: Faults) {}

  async lock(queue: string, owner: string, ttlMs: number): Promise<boolean> {
    await tick();
    const record = this.records.get(queue);
    if (record !== undefined && record.expiresAt > this.now) return false;
    this.records.set(queue, { owner, expiresAt: this.now + ttlMs });
    return true;
  }

  async unlock(queue: string, owner: string): Promise<void> {
    await tick();
    this.faults.check('lockRelease');
    if (this.records.get(queue)?.owner === owner) this.records.delete(queue);
  }

  isHeld(queue: string): boolean {
    const record = this.records.get(queue);
    return record !== undefined && record.expiresAt > this.now;
  }
}

export interface FakeRedriveWorld {
  faults: Faults;
  dlq: FakeFifoDeadLetterQueue;
  source: FakeFifoSourceQueue;
  parking: FakeParkingStore;
  lock: FakeRedriveLock;
  ports: RedrivePorts;
}

export function fakeRedriveWorld(): FakeRedriveWorld {
  const faults = new Faults();
  const dlq = new FakeFifoDeadLetterQueue(faults);
  const source = new FakeFifoSourceQueue(faults);
  const parking = new FakeParkingStore(faults);
  const lock = new FakeRedriveLock(faults);
  return { faults, dlq, source, parking, lock, ports: { source: dlq, target: source, parking, lock } };
}

/** A DLQ message of an orderflow event (group = order). */
export function deadLetter(
  orderId: string,
  seq: number | undefined,
  options: { messageId?: string; redriveCount?: number } = {},
): ReceivedDeadLetter {
  const redriveCount = options.redriveCount ?? 0;
  return {
    messageId: options.messageId ?? `${orderId}-${seq ?? 'x'}-${redriveCount}`,
    groupId: orderId,
    orderId,
    seq,
    redriveCount,
    body: JSON.stringify({ orderId, seq }),
    receiptHandle: '',
    attributes: { redriveCount: { DataType: 'Number', StringValue: String(redriveCount) } },
  };
}

/**
 * A dead letter as the SQS dead-letter source maps a received message: `m-1` of `orderId` at seq 2, redriven once,
 * with its receipt handle; `overrides` change single fields (a new `seq` leaves the body as it is).
 */
export function receivedDeadLetter(
  orderId: string,
  overrides: Partial<ReceivedDeadLetter> = {},
): ReceivedDeadLetter {
  return {
    ...deadLetter(orderId, 2, { messageId: 'm-1', redriveCount: 1 }),
    receiptHandle: 'receipt-m-1',
    ...overrides,
  };
}
