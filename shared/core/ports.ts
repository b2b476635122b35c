import type { ActivityRecord } from './activity.js';
import type { Window, WindowFigures, WindowSummary } from './analytics.js';
import type { BusMessage } from './bus-message.js';
import type { LegacyOrderLink, LegacyStatusMessage } from './legacy-status.js';
import type { Order, OrderRecord } from './order.js';
import type { OrderEvent } from './order-events.js';
import type { DeadLetterMessage } from './redrive.js';
import type { ReplayRange } from './replay.js';

/**
 * Where orders live. Every write is one conditional single-item write: no transactions (the design must run on
 * dynalite, and single-item conditions are all the sequencing rule needs).
 */
export interface OrderStore {
  get(orderId: string): Promise<OrderRecord | undefined>;
  /** Writes a new order with its pending event; `false` when an order with that id already exists. */
  create(order: Order, pendingEvent: OrderEvent): Promise<boolean>;
  /**
   * Replaces the record with the order's next version, its pending event and the command that made it, on the
   * condition that the stored version is still `expectedVersion`; throws `ConcurrentUpdateError` otherwise.
   */
  update(record: OrderRecord, expectedVersion: number): Promise<void>;
  /** Clears the pending event once it is published, if the order is still at `version`. */
  markPublished(orderId: string, version: number): Promise<void>;
  /** Removes an order that was never published (version 1, pending event still there). */
  discardUnpublished(orderId: string): Promise<void>;
}

/** The order-events topic. */
export interface EventBus {
  publish(message: BusMessage): Promise<void>;
}

/** A consumer's per-order cursor: the `seq` of the last event it applied (see `sequencing.ts`). */
export interface ProgressStore {
  /** The applied `seq` of the order, 0 before its first event. */
  applied(orderId: string): Promise<number>;
  /**
   * Moves the cursor from `from` to `to` if it is still at `from` (one conditional write); `false` when another
   * delivery moved it first.
   */
  advance(orderId: string, from: number, to: number): Promise<boolean>;
}

/** A status change the stream did not take after the retries, and why. */
export interface NotWritten {
  record: ActivityRecord;
  /**
   * What the stream answered the last attempt, in words (e.g. which error code the entry got); absent when the record
   * was never sent because an earlier status change of its order was not written.
   */
  reason?: string;
}

/** The Kinesis stream `order-activity`. */
export interface ActivityStream {
  /** Writes the records (partition key `orderId`); resolves with those that still failed after retries. */
  putAll(records: readonly ActivityRecord[]): Promise<NotWritten[]>;
}

/** A message a consumer gives up on at once: the same group, the reason as a message attribute. */
export interface DeadLetter {
  body: string;
  groupId: string;
  deduplicationId: string;
  reason: string;
  sourceMessageId: string;
}

export interface DeadLetterQueue {
  send(letter: DeadLetter): Promise<void>;
}

/** A high-value order held for review (it never blocks the order). */
export interface ReviewCase {
  orderId: string;
  customerId: string;
  total: number;
  currency: string;
  region: string;
  eventId: string;
  openedAt: string;
}

export interface ReviewStore {
  /** Stores the case; `false` when the order already has one (a repeat delivery). */
  open(reviewCase: ReviewCase): Promise<boolean>;
}

/** AWS IoT Core's message broker (data plane), QoS 1. */
export interface Notifier {
  publish(topic: string, payload: unknown): Promise<void>;
}

/** Per-window, per-region figures, counted once per `eventId`. */
export interface AnalyticsStore {
  /** Adds `figures` and `eventId` to the window unless the window counted that eventId; `false` when it had. */
  count(region: string, window: Window, eventId: string, figures: WindowFigures): Promise<boolean>;
  figures(region: string, windowStart: string): Promise<WindowSummary | undefined>;
  /** The window of the region that is not summarised yet (the latest window that had a record). */
  openWindow(region: string): Promise<Window | undefined>;
  /** Moves the region's open window from `from` to `to` (conditional); `false` when another delivery moved it. */
  moveOpenWindow(region: string, from: Window | undefined, to: Window): Promise<boolean>;
}

/** A message received from a dead-letter queue, with what a redrive needs to send it back and remove it. */
export interface ReceivedDeadLetter extends DeadLetterMessage {
  body: string;
  receiptHandle: string;
  /** Message attributes to carry over (stringValue / dataType, as SQS gives them). */
  attributes: Record<string, { DataType: string; StringValue?: string }>;
}

/** The DLQ being redriven. Receiving hides messages (visibility timeout) until deleted or released. */
export interface DeadLetterSource {
  receive(maxMessages: number): Promise<ReceivedDeadLetter[]>;
  /** Looks at the heads of the groups without hiding them (a dry run). */
  peek(maxMessages: number): Promise<ReceivedDeadLetter[]>;
  delete(message: ReceivedDeadLetter): Promise<void>;
}

/** The queue the DLQ belongs to. */
export interface RedriveTarget {
  /** Sends keeping `groupId`, with a fresh deduplication id and the new redrive count as an attribute. */
  send(message: ReceivedDeadLetter, deduplicationId: string, redriveCount: number): Promise<void>;
}

/**
 * Where a redrive keeps messages it took out of the DLQ: `staged` while it reads the rest of their group (a FIFO
 * DLQ shows only the head of each group), `parked` when they were redriven too often. Durable: a redrive that dies
 * resumes from what is staged.
 */
export interface ParkingStore {
  stage(queue: string, message: ReceivedDeadLetter): Promise<void>;
  staged(queue: string): Promise<ReceivedDeadLetter[]>;
  park(queue: string, message: ReceivedDeadLetter, reason: string): Promise<void>;
  /** Per group of the queue, the lowest `seq` of its parked messages (0 when one has no `seq`). */
  parkedAt(queue: string): Promise<Map<string, number>>;
  /** Removes a staged message once it is back in its source queue. */
  release(queue: string, message: ReceivedDeadLetter): Promise<void>;
  /**
   * Puts a parked message back among the staged ones with its redrive count reset (its fix shipped): staged first,
   * then removed from the parked ones, so that a crash between leaves it in both and a second call completes it.
   * `undefined` when no message of that id is parked.
   */
  unpark(queue: string, messageId: string): Promise<ReceivedDeadLetter | undefined>;
}

/** One redrive per queue at a time: a conditional write with an expiry. */
export interface RedriveLock {
  lock(queue: string, owner: string, ttlMs: number): Promise<boolean>;
  unlock(queue: string, owner: string): Promise<void>;
}

/**
 * Test-only: lets end-to-end tests and chaos runs make a consumer fail an event, to drive it through retries to the
 * DLQ (or the on-failure destination).
 */
export interface FaultSwitch {
  /** Throws `InjectedFaultError` (retryable) when the switch is on for this customer, or for this very event. */
  check(event: { orderId: string; customerId: string; eventId: string }): void;
}

/** A message of the on-failure destination queue. */
export interface ReceivedFailure {
  messageId: string;
  body: string;
  receiptHandle: string;
}

/** The on-failure destination (a standard SQS queue). Receiving hides a message until it is deleted or released. */
export interface FailureSource {
  receive(maxMessages: number): Promise<ReceivedFailure[]>;
  delete(message: ReceivedFailure): Promise<void>;
  /** Makes a message visible again at once, for the next replay. */
  release(message: ReceivedFailure): Promise<void>;
}

/** A stream record as its consumer is handed it (Lambda's Kinesis event record); a replay reads only its position. */
export interface SequencedStreamRecord {
  kinesis: { sequenceNumber: string };
}

/** Reads a range of one shard back from the stream, as its consumer is handed records. */
export interface StreamRangeReader<R extends SequencedStreamRecord = SequencedStreamRecord> {
  read(range: Pick<ReplayRange, 'streamArn' | 'shardId' | 'start' | 'end'>): Promise<R[]>;
}

/** Invokes a stream consumer synchronously; throws when the invocation ends in a function error. */
export interface StreamConsumer<R extends SequencedStreamRecord = SequencedStreamRecord> {
  /** Returns the sequence numbers the consumer reported in `batchItemFailures`. */
  invoke(functionArn: string, event: { Records: R[] }): Promise<string[]>;
}

export interface ReplayPorts<R extends SequencedStreamRecord = SequencedStreamRecord> {
  failures: FailureSource;
  stream: StreamRangeReader<R>;
  consumer: StreamConsumer<R>;
}

/**
 * Where use cases and the edge log: Powertools' Logger is one; each user picks the methods it calls. Entries carry
 * ids, seq and reasons, never a payload (customer data).
 */
export interface Log {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
  /** Keys on every later entry of this invocation (a correlation id, once known). */
  appendKeys(keys: Record<string, string>): void;
}

/** An ERP message refused for good: its body as it came, its AMQP `messageId`, and why. */
export interface RejectedLegacyMessage {
  body: string;
  messageId: string | undefined;
  reason: string;
}

/**
 * Where an ERP message that can never be valid goes instead of being retried: the legacy queue's dead-letter
 * exchange, which routes it to `legacy.orders.rejected` with its reason.
 */
export interface LegacyRejections {
  reject(message: RejectedLegacyMessage): Promise<void>;
}

/**
 * Which ERP order each imported order is (`shared/core/legacy-status.ts`): written by `importLegacyOrder` before it
 * places the order, read by `publishLegacyStatus` to answer the ERP in its own order numbers.
 */
export interface LegacyOrderLinks {
  /**
   * Stores the link; idempotent (the same link again changes nothing).
   *
   * @throws LegacyOrderLinkConflictError when the order is already linked to another ERP order.
   */
  record(link: LegacyOrderLink): Promise<void>;
  /** The order's link; `undefined` when the order was not imported from the ERP. */
  find(orderId: string): Promise<LegacyOrderLink | undefined>;
}

/**
 * The ERP's side of status changes: the exchange `orderflow.status`. Resolves once the broker confirmed the message
 * (it is safe on the broker), rejects when it refused it or could not be reached: the status is sent again later.
 */
export interface LegacyStatusPublisher {
  publish(message: LegacyStatusMessage): Promise<void>;
}

/** What a CloudFormation custom resource answers: done (with its physical id), or failed with the reason shown in the stack's events. */
export type CustomResourceOutcome =
  | { status: 'SUCCESS'; physicalResourceId: string }
  | { status: 'FAILED'; physicalResourceId: string; reason: string };
