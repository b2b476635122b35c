import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { activityOf, statusChangeOf } from '../../shared/core/activity.js';
import { toBusMessage } from '../../shared/core/bus-message.js';
import { planGroupFailures } from '../../shared/core/fifo-batch.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { SequenceDecision } from '../../shared/core/sequencing.js';
import { decideFulfillmentSequence, decideSequence } from '../../shared/core/sequencing.js';
import type { OrderHistory } from '../support/arbitraries.js';
import { orderHistoryArb } from '../support/arbitraries.js';
import { historyOf } from '../support/order-history.js';

describe('decideSequence', () => {
  it.each<[name: string, applied: number, seq: number, expected: SequenceDecision]>([
    ['applies the first event of a new order', 0, 1, { kind: 'apply' }],
    ['applies the event right after the cursor', 2, 3, { kind: 'apply' }],
    ['acknowledges the event at the cursor as a duplicate', 2, 2, { kind: 'duplicate' }],
    ['acknowledges an event before the cursor as a duplicate', 2, 1, { kind: 'duplicate' }],
    ['acknowledges a redriven OrderPlaced as a duplicate', 3, 1, { kind: 'duplicate' }],
    ['asks for OrderPlaced before a later event of a new order', 0, 2, { kind: 'gap', expected: 1 }],
    ['asks for the next seq before a later one', 2, 5, { kind: 'gap', expected: 3 }],
    ['asks for the one missing seq', 1, 3, { kind: 'gap', expected: 2 }],
  ])('%s', (_name, applied, seq, expected) => {
    expect(decideSequence(applied, seq)).toEqual(expected);
  });

  it('applies only the next seq, acknowledges what is applied and asks for the next before a later one', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_010 }), (applied, seq) => {
        // Act
        const decision = decideSequence(applied, seq);

        // Assess
        if (seq <= applied) expect(decision).toEqual({ kind: 'duplicate' });
        else if (seq === applied + 1) expect(decision).toEqual({ kind: 'apply' });
        else expect(decision).toEqual({ kind: 'gap', expected: applied + 1 });
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A consumer of one order's message group, driven by a sequencing rule, over a simulated SQS FIFO queue with a DLQ.
// ---------------------------------------------------------------------------------------------------------------

type Decide = (applied: number, event: OrderEvent) => SequenceDecision;

/**
 * How a redrive orders the messages it moves to the back of the source queue: as they sit in the DLQ, or each
 * message group by `seq`.
 */
type RedriveOrder = 'dlq' | 'seq';

/**
 * What the queue receives of the order's events: `every event`, or what `fulfillment.fifo` receives — its filter
 * policy leaves `OrderFulfilled` out, and the consumer appends it itself while it applies the `OrderPaid` before it,
 * recording both status changes together.
 */
type Subscription = 'every event' | 'fulfillment.fifo';

interface Rules {
  decide: Decide;
  redriveOrder: RedriveOrder;
  subscription?: Subscription;
}

/** A message of the queue: one copy of an event. A republish or a redrive is a new message of the same event. */
interface Message {
  messageId: string;
  event: OrderEvent;
  receiveCount: number;
}

/**
 * How an invocation ends:
 * - `commit`: the status changes are written, then the cursor (one conditional write), then the batch response
 *   deletes what succeeded;
 * - `crashBeforePut` / `crashAfterPut`: the function dies (timeout, out of memory) before or after `PutRecords`,
 *   before the cursor moves; the whole batch comes back after the visibility timeout;
 * - `ackLost`: everything is written but the messages are not deleted (the response is lost, the visibility
 *   timeout passes first): the whole batch comes back although it was applied.
 */
type Ending = 'commit' | 'crashBeforePut' | 'crashAfterPut' | 'ackLost';

interface Invocation {
  batchSize: number;
  /** The record at this index (if any) fails as retryable: throttling, a timeout of a downstream call. */
  throttleAt: number | undefined;
  /** The status change of the applied record at this index (if any) is not written by `PutRecords`. */
  putFailsAt: number | undefined;
  ending: Ending;
}

type Operation =
  /** The producer publishes the order's next event (SNS FIFO → SQS FIFO, in seq order). */
  | { kind: 'publish' }
  /**
   * An event already published arrives again as a new message at the back of the queue: the outbox republishing
   * after a failed clear, SNS→SQS at-least-once delivery after the 5-minute deduplication window.
   */
  | { kind: 'republish'; pick: number }
  /** Lambda receives a batch of the group and invokes the consumer with it. */
  | ({ kind: 'receive' } & Invocation)
  /** An operator redrives the first `limit` DLQ messages to the back of the source queue. */
  | { kind: 'redrive'; limit: number };

interface Schedule {
  /** The queue's redrive policy; 5 in serverless.yml, any value must do. */
  maxReceiveCount: number;
  operations: Operation[];
}

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'publish' } as const) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('republish' as const), pick: fc.nat() }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      batchSize: fc.integer({ min: 1, max: 10 }),
      throttleAt: fc.option(fc.nat({ max: 3 }), { freq: 2, nil: undefined }),
      putFailsAt: fc.option(fc.nat({ max: 2 }), { freq: 4, nil: undefined }),
      ending: fc.constantFrom<Ending>(
        'commit',
        'commit',
        'commit',
        'crashBeforePut',
        'crashAfterPut',
        'ackLost',
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('redrive' as const), limit: fc.integer({ min: 1, max: 4 }) }),
  },
);

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  maxReceiveCount: fc.integer({ min: 1, max: 5 }),
  operations: fc.array(operationArb, { maxLength: 60 }),
});

/** What the consumer holds and what it caused. */
interface ConsumerState {
  /** The stored per-order cursor: the seq of the last applied event, 0 before the first. */
  applied: number;
  /** The events whose status changes were committed, in that order: those received and those appended. */
  appliedEvents: OrderEvent[];
  /** The `order-activity` stream: written at least once. */
  activity: ActivityRecord[];
}

interface Counters {
  gaps: number;
  duplicates: number;
  deadLettered: number;
  redriven: number;
  crashes: number;
  putFailures: number;
}

interface Outcome {
  drained: boolean;
  /** The seqs of the messages left when the run stopped: DLQ first, then the source queue. */
  left: number[];
  state: ConsumerState;
  counters: Counters;
}

const CALM_RECEIVE: Invocation = {
  batchSize: 10,
  throttleAt: undefined,
  putFailsAt: undefined,
  ending: 'commit',
};

/** Far more than the calm phase needs to drain: each redrive round of it applies at least one event. */
const MAX_CALM_STEPS = 500;

class FifoGroupSimulation {
  readonly #source: Message[] = [];
  readonly #dlq: Message[] = [];
  #published = 0;
  #nextMessageId = 1;
  readonly state: ConsumerState = { applied: 0, appliedEvents: [], activity: [] };
  readonly counters: Counters = {
    gaps: 0,
    duplicates: 0,
    deadLettered: 0,
    redriven: 0,
    crashes: 0,
    putFailures: 0,
  };

  constructor(
    private readonly history: OrderHistory,
    private readonly maxReceiveCount: number,
    private readonly rules: Rules,
  ) {}

  get drained(): boolean {
    return (
      this.#published === this.history.events.length && this.#source.length === 0 && this.#dlq.length === 0
    );
  }

  get left(): number[] {
    return [...this.#dlq, ...this.#source].map((message) => message.event.seq);
  }

  run(operation: Operation): void {
    switch (operation.kind) {
      case 'publish':
        this.#publish();
        break;
      case 'republish':
        this.#republish(operation.pick);
        break;
      case 'receive':
        this.#receiveAndProcess(operation);
        break;
      case 'redrive':
        this.#redrive(operation.limit);
        break;
    }
  }

  /**
   * After the schedule: the faults are over; the producer publishes what it has left, the consumer drains the
   * queue, and the operator redrives the whole DLQ whenever the queue is idle.
   */
  calm(): boolean {
    for (let step = 0; step < MAX_CALM_STEPS && !this.drained; step++) {
      if (this.#published < this.history.events.length) this.#publish();
      else if (this.#source.length > 0) this.#receiveAndProcess(CALM_RECEIVE);
      else this.#redrive(this.#dlq.length);
    }
    return this.drained;
  }

  #send(event: OrderEvent): void {
    this.#source.push({ messageId: `m${this.#nextMessageId++}`, event, receiveCount: 0 });
  }

  #publish(): void {
    const event = this.history.events[this.#published];
    if (event === undefined) return;
    this.#published += 1;
    if (this.#delivers(event)) this.#send(event);
  }

  #republish(pick: number): void {
    const delivered = this.history.events.slice(0, this.#published).filter((event) => this.#delivers(event));
    if (delivered.length === 0) return;
    const event = delivered[pick % delivered.length];
    if (event !== undefined) this.#send(event);
  }

  /** Whether the subscription hands `event` to the queue. */
  #delivers(event: OrderEvent): boolean {
    return this.rules.subscription !== 'fulfillment.fifo' || event.type !== 'OrderFulfilled';
  }

  /**
   * The events whose status changes applying `event` records: the event, and on `fulfillment.fifo` the
   * `OrderFulfilled` the consumer appends after an `OrderPaid` (when the order was fulfilled: a cancel may have won).
   */
  #recordedBy(event: OrderEvent): OrderEvent[] {
    const next = this.history.events[event.seq];
    const appends =
      this.rules.subscription === 'fulfillment.fifo' &&
      event.type === 'OrderPaid' &&
      next?.type === 'OrderFulfilled';
    return appends ? [event, next] : [event];
  }

  /** Moves the first `limit` DLQ messages to the back of the source queue, as new messages. */
  #redrive(limit: number): void {
    const moved = this.#dlq.splice(0, limit);
    if (this.rules.redriveOrder === 'seq') moved.sort((a, b) => a.event.seq - b.event.seq);
    for (const message of moved) {
      this.counters.redriven += 1;
      this.#send(message.event);
    }
  }

  /**
   * SQS FIFO hands out the head of the group, in order, up to the batch size, and nothing else of the group while
   * they are in flight; every message received counts a receive, also those the consumer skips. A head already
   * received `maxReceiveCount` times moves to the DLQ instead, which unblocks the messages behind it.
   */
  #receive(batchSize: number): Message[] {
    const batch: Message[] = [];
    while (batch.length < batchSize) {
      const head = this.#source.shift();
      if (head === undefined) break;
      if (head.receiveCount >= this.maxReceiveCount) {
        this.counters.deadLettered += 1;
        this.#dlq.push(head);
        continue;
      }
      head.receiveCount += 1;
      batch.push(head);
    }
    return batch;
  }

  /** One invocation, as `FulfillmentRun` does it; what is not deleted returns to the head of the group. */
  #receiveAndProcess({ batchSize, throttleAt, putFailsAt, ending }: Invocation): void {
    const batch = this.#receive(batchSize);
    if (batch.length === 0) return;
    let current = this.state.applied;
    const staged: Message[] = [];
    const failed = new Set<string>();
    for (const [index, message] of batch.entries()) {
      if (index === throttleAt) {
        failed.add(message.messageId);
        break;
      }
      const decision = this.rules.decide(current, message.event);
      if (decision.kind === 'gap') {
        this.counters.gaps += 1;
        failed.add(message.messageId);
        // The FIFO processor skips the rest of the group after a failure; the plan below reports it.
        break;
      }
      if (decision.kind === 'duplicate') this.counters.duplicates += 1;
      if (decision.kind === 'apply') {
        staged.push(message);
        current = message.event.seq;
      }
    }
    if (ending === 'crashBeforePut') {
      this.#returnAll(batch);
      return;
    }
    // One PutRecords for the batch; a record whose status change is not written fails with the rest of its group.
    const notWritten = putFailsAt === undefined ? undefined : staged[putFailsAt];
    if (notWritten !== undefined) {
      this.counters.putFailures += 1;
      failed.add(notWritten.messageId);
    }
    // Like the adapter: one record per order per call, so nothing after the failed record is written.
    const written = notWritten === undefined ? staged : staged.slice(0, staged.indexOf(notWritten));
    for (const message of written) {
      for (const event of this.#recordedBy(message.event)) {
        this.state.activity.push(activityOf(event, this.#attributesOf(event)));
      }
    }
    if (ending === 'crashAfterPut') {
      this.#returnAll(batch);
      return;
    }
    // The cursor moves over the applied records before the first failure: one conditional write.
    const firstFailure = staged.findIndex((message) => failed.has(message.messageId));
    const committed = firstFailure === -1 ? staged : staged.slice(0, firstFailure);
    const last = committed.at(-1);
    if (last !== undefined) {
      this.state.applied = last.event.seq;
      this.state.appliedEvents.push(...committed.flatMap((message) => this.#recordedBy(message.event)));
    }
    if (ending === 'ackLost') {
      this.#returnAll(batch);
      return;
    }
    const items = batch.map((message) => ({ id: message.messageId, groupId: message.event.orderId }));
    const report = new Set(planGroupFailures(items, failed));
    this.#source.unshift(...batch.filter((message) => report.has(message.messageId)));
  }

  /** The invocation ends without a response: every message of the batch comes back after the visibility timeout. */
  #returnAll(batch: readonly Message[]): void {
    this.counters.crashes += 1;
    this.#source.unshift(...batch);
  }

  #attributesOf(event: OrderEvent) {
    return toBusMessage(this.history.order, event).attributes;
  }
}

function simulate(history: OrderHistory, schedule: Schedule, rules: Rules): Outcome {
  const simulation = new FifoGroupSimulation(history, schedule.maxReceiveCount, rules);
  for (const operation of schedule.operations) simulation.run(operation);
  const drained = simulation.calm();
  return { drained, left: simulation.left, state: simulation.state, counters: simulation.counters };
}

const bySeq: (decide: typeof decideSequence) => Decide = (decide) => (applied, event) =>
  decide(applied, event.seq);

const SEQUENCING: Rules = { decide: bySeq(decideSequence), redriveOrder: 'seq' };
/** `processOrder` on `fulfillment.fifo`. */
const FULFILLMENT: Rules = {
  decide: decideFulfillmentSequence,
  redriveOrder: 'seq',
  subscription: 'fulfillment.fifo',
};

/** In-order, once-only application: each event delivered once, in seq order, every invocation committing. */
function inOrderOnce(history: OrderHistory): ConsumerState {
  const operations: Operation[] = history.events.flatMap(() => [
    { kind: 'publish' } as const,
    {
      kind: 'receive',
      batchSize: 1,
      throttleAt: undefined,
      putFailsAt: undefined,
      ending: 'commit',
    } as const,
  ]);
  return simulate(history, { maxReceiveCount: 5, operations }, SEQUENCING).state;
}

/** The first record per eventId: what a consumer of the stream that drops repeats by eventId keeps. */
function dropRepeats(records: readonly ActivityRecord[]): ActivityRecord[] {
  const seen = new Set<string>();
  return records.filter((record) => !seen.has(record.eventId) && seen.add(record.eventId));
}

/** The records in seq order. */
function inSeqOrder(records: readonly ActivityRecord[]): ActivityRecord[] {
  return [...records].sort((left, right) => left.seq - right.seq);
}

const oneTo = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

/**
 * What holds at any point of any run: nothing applied out of order or twice; every record on the stream is the
 * status change of one of the order's events, a repeat is the same record, and every applied event has its record.
 */
function assessSafety(
  history: OrderHistory,
  state: ConsumerState,
  subscription: Subscription = 'every event',
): void {
  const reference = inOrderOnce(history);
  const recorded = state.appliedEvents.length;
  expect(state.appliedEvents).toEqual(history.events.slice(0, recorded));
  expect(state.appliedEvents.map((event) => event.seq)).toEqual(oneTo(recorded));
  // The cursor is on the last event received: one before an OrderFulfilled the consumer appended itself.
  const appendedLast =
    subscription === 'fulfillment.fifo' && state.appliedEvents.at(-1)?.type === 'OrderFulfilled';
  expect(state.applied).toBe(appendedLast ? recorded - 1 : recorded);
  for (const record of state.activity) expect(record).toEqual(reference.activity[record.seq - 1]);
  const once = inSeqOrder(dropRepeats(state.activity));
  expect(once.slice(0, recorded)).toEqual(reference.activity.slice(0, recorded));
}

/** The acceptance criteria of a run: it drains, and ends as in-order, once-only application. */
function assessOutcome(
  history: OrderHistory,
  { drained, left, state }: Outcome,
  subscription: Subscription = 'every event',
): void {
  const reference = inOrderOnce(history);

  expect(left, 'messages left in the DLQ and the queue, by seq').toEqual([]);
  expect(drained).toBe(true);
  assessSafety(history, state, subscription);
  expect(state.appliedEvents).toEqual(reference.appliedEvents);
  expect(state.appliedEvents).toEqual(history.events);
  const last = state.appliedEvents.at(-1);
  expect(last === undefined ? undefined : statusChangeOf(last).status).toBe(history.order.status);
  // A consumer of the stream that drops repeats by eventId gets exactly one record per event.
  const once = dropRepeats(state.activity);
  expect(inSeqOrder(once)).toEqual(reference.activity);
  expect(once.map((record) => record.eventId).sort()).toEqual(
    history.events.map((event) => event.eventId).sort(),
  );
}

/** A consumer of the stream that drops repeats by eventId reads an order's status changes in seq order. */
function assessStreamOrder({ state }: Outcome): void {
  const once = dropRepeats(state.activity);
  expect(once.map((record) => record.seq)).toEqual(oneTo(once.length));
}

const deliveryProperty = (rules: Rules, onOutcome: (outcome: Outcome) => void = () => undefined) =>
  fc.property(orderHistoryArb, scheduleArb, (history, schedule) => {
    const outcome = simulate(history, schedule, rules);
    onOutcome(outcome);
    assessOutcome(history, outcome, rules.subscription);
  });

/** Applies any event newer than the cursor: a later event that overtakes its predecessor gets applied. */
const applyAnyNewer: Decide = (applied, { seq }) =>
  seq > applied ? { kind: 'apply' } : { kind: 'duplicate' };
/** Acknowledges a gap instead of failing it: the event that arrives early is lost. */
const acknowledgeGaps: Decide = (applied, { seq }) =>
  seq === applied + 1 ? { kind: 'apply' } : { kind: 'duplicate' };
/** Trusts the queue to deliver exactly once: applies every delivery. */
const trustTheQueue: Decide = () => ({ kind: 'apply' });

const receive = (batchSize: number, throttleAt?: number): Operation => ({
  kind: 'receive',
  batchSize,
  throttleAt,
  putFailsAt: undefined,
  ending: 'commit',
});
const times = (count: number, operation: Operation): Operation[] =>
  Array.from({ length: count }, () => operation);

describe('a consumer driven by decideSequence over SQS FIFO with retries and DLQ redrive', () => {
  it('ends as in-order, once-only application for any duplicates and any redelivery order', () => {
    // Prepare
    const totals: Counters = {
      gaps: 0,
      duplicates: 0,
      deadLettered: 0,
      redriven: 0,
      crashes: 0,
      putFailures: 0,
    };
    const tally = ({ counters }: Outcome) => {
      for (const key of Object.keys(totals) as (keyof Counters)[]) totals[key] += counters[key];
    };

    // Act and assess
    fc.assert(deliveryProperty(SEQUENCING, tally), { numRuns: 500 });

    // Assess: the schedules did exercise every way a delivery goes wrong.
    expect(totals.gaps).toBeGreaterThan(0);
    expect(totals.duplicates).toBeGreaterThan(0);
    expect(totals.deadLettered).toBeGreaterThan(0);
    expect(totals.redriven).toBeGreaterThan(0);
    expect(totals.crashes).toBeGreaterThan(0);
    expect(totals.putFailures).toBeGreaterThan(0);
  });

  it('never applies an event out of order or twice, whatever order the DLQ is redriven in', () => {
    fc.assert(
      fc.property(orderHistoryArb, scheduleArb, (history, schedule) => {
        // Act
        const { state } = simulate(history, schedule, { ...SEQUENCING, redriveOrder: 'dlq' });

        // Assess
        assessSafety(history, state);
      }),
      { numRuns: 300 },
    );
  });

  it('applies a later event only after its predecessor comes back from the DLQ', () => {
    // Prepare: OrderPaid fails until it is dead-lettered, so OrderCancelled overtakes it.
    const history = historyOf(['pay', 'cancel']);
    const schedule: Schedule = {
      maxReceiveCount: 2,
      operations: [
        { kind: 'publish' },
        { kind: 'publish' },
        { kind: 'publish' },
        receive(1),
        ...times(2, receive(1, 0)),
        // OrderPaid moves to the DLQ; OrderCancelled is delivered, is a gap twice, and follows it.
        ...times(3, receive(10)),
        { kind: 'redrive', limit: 10 },
      ],
    };

    // Act
    const outcome = simulate(history, schedule, SEQUENCING);

    // Assess
    expect(outcome.counters).toMatchObject({ gaps: 2, deadLettered: 2, redriven: 2 });
    assessOutcome(history, outcome);
  });

  it.each<{ order: RedriveOrder; name: string; drains: boolean }>([
    { order: 'seq', name: 'drains it when each group is redriven in seq order', drains: true },
    // Why the redrive planner must order each group by seq rather than keep the DLQ's order.
    { order: 'dlq', name: 'leaves it stuck when the DLQ order is kept', drains: false },
  ])('$name, for a group whose DLQ holds OrderPaid before OrderPlaced', ({ order, drains }) => {
    // Prepare: at the deployed maxReceiveCount of 5, a downstream outage throttles OrderPlaced into the DLQ; the
    // operator redrives it while OrderPaid, now a gap, is still in the queue; OrderPaid is dead-lettered, then the
    // redriven OrderPlaced too: the DLQ holds [OrderPaid, OrderPlaced]. Then the outage ends. Redriven in that
    // order, both come in one batch: OrderPaid is a gap, OrderPlaced is skipped behind it, and both count a
    // receive, so after five they are dead-lettered together, in the same order, again and again.
    const history = historyOf(['pay']);
    const schedule: Schedule = {
      maxReceiveCount: 5,
      operations: [
        { kind: 'publish' },
        { kind: 'publish' },
        ...times(5, receive(1, 0)),
        receive(1),
        { kind: 'redrive', limit: 1 },
        ...times(4, receive(1)),
        ...times(5, receive(1, 0)),
      ],
    };

    // Act
    const outcome = simulate(history, schedule, { ...SEQUENCING, redriveOrder: order });

    // Assess
    expect(outcome.counters.gaps).toBeGreaterThanOrEqual(5);
    if (drains) assessOutcome(history, outcome);
    else expect({ drained: outcome.drained, left: outcome.left }).toEqual({ drained: false, left: [2, 1] });
  });

  it('records the status changes of an order on the stream in seq order when PutRecords writes all or nothing', () => {
    const wholePuts = scheduleArb.map((schedule) => ({
      ...schedule,
      operations: schedule.operations.map((operation) =>
        operation.kind === 'receive' ? { ...operation, putFailsAt: undefined } : operation,
      ),
    }));
    fc.assert(
      fc.property(orderHistoryArb, wholePuts, (history, schedule) => {
        // Act
        const outcome = simulate(history, schedule, SEQUENCING);

        // Assess
        assessStreamOrder(outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('records the status changes of an order on the stream in seq order when PutRecords writes only some of them', () => {
    // Prepare: OrderPlaced and OrderPaid apply in one batch; PutRecords does not write OrderPlaced's record (a
    // partial failure, after the adapter's retries). Kinesis does not order the entries of one call, so the
    // adapter writes one record per order per call and none of an order's after a failed one.
    const history = historyOf(['pay']);
    const schedule: Schedule = {
      maxReceiveCount: 5,
      operations: [
        { kind: 'publish' },
        { kind: 'publish' },
        { kind: 'receive', batchSize: 10, throttleAt: undefined, putFailsAt: 0, ending: 'commit' },
      ],
    };

    // Act
    const outcome = simulate(history, schedule, SEQUENCING);

    // Assess
    assessOutcome(history, outcome);
    assessStreamOrder(outcome);
  });

  it.each<{ name: string; decide: Decide }>([
    { name: 'applies any newer seq', decide: applyAnyNewer },
    { name: 'acknowledges a gap', decide: acknowledgeGaps },
    { name: 'trusts the queue to deliver once', decide: trustTheQueue },
  ])('finds a delivery schedule that breaks a consumer that $name', ({ decide }) => {
    // Prepare
    const rules: Rules = { decide, redriveOrder: 'seq' };

    // Act
    const details = fc.check(deliveryProperty(rules), { numRuns: 2_000, endOnFailure: true });

    // Assess: on the schedule found, decideSequence ends as in-order application and the broken rule does not.
    expect(details.failed).toBe(true);
    const counterexample = details.counterexample;
    if (counterexample === null) throw new Error('no counterexample');
    const [history, schedule] = counterexample;
    const sequenced = simulate(history, schedule, SEQUENCING);
    const broken = simulate(history, schedule, rules);
    assessOutcome(history, sequenced);
    expect(broken.state).not.toEqual(sequenced.state);
    expect(() => assessOutcome(history, broken)).toThrow();
  });
});

describe('processOrder on fulfillment.fifo, which never receives the OrderFulfilled it appends (decideFulfillmentSequence)', () => {
  it.each<
    [name: string, applied: number, event: Pick<OrderEvent, 'type' | 'seq'>, expected: SequenceDecision]
  >([
    [
      'applies the OrderShipped two seqs after the payment',
      2,
      { type: 'OrderShipped', seq: 4 },
      { kind: 'apply' },
    ],
    [
      'applies the OrderShipped right after an OrderFulfilled it received',
      3,
      { type: 'OrderShipped', seq: 4 },
      { kind: 'apply' },
    ],
    [
      'applies the OrderDelivered right after the OrderShipped',
      4,
      { type: 'OrderDelivered', seq: 5 },
      { kind: 'apply' },
    ],
    ['acknowledges an OrderShipped it applied', 4, { type: 'OrderShipped', seq: 4 }, { kind: 'duplicate' }],
    [
      'asks for the payment before an OrderShipped',
      1,
      { type: 'OrderShipped', seq: 4 },
      { kind: 'gap', expected: 2 },
    ],
    [
      'asks for the OrderShipped before an OrderDelivered',
      2,
      { type: 'OrderDelivered', seq: 5 },
      { kind: 'gap', expected: 3 },
    ],
    [
      'keeps the plain rule for any other event two seqs on',
      1,
      { type: 'OrderCancelled', seq: 3 },
      { kind: 'gap', expected: 2 },
    ],
  ])('%s', (_name, applied, event, expected) => {
    expect(decideFulfillmentSequence(applied, event)).toEqual(expected);
  });

  it('ends as in-order, once-only recording for any duplicates and any redelivery order, shipped and delivered orders included', () => {
    // Prepare
    let shippedAfterFulfilment = 0;
    const tally = ({ state }: Outcome) => {
      if (state.appliedEvents.some((event) => event.type === 'OrderShipped')) shippedAfterFulfilment += 1;
    };

    // Act and assess
    fc.assert(deliveryProperty(FULFILLMENT, tally), { numRuns: 300 });

    // Assess: the histories did ship orders after their fulfilment
    expect(shippedAfterFulfilment).toBeGreaterThan(0);
  });

  it('never records a status change out of order or twice, whatever order the DLQ is redriven in', () => {
    fc.assert(
      fc.property(orderHistoryArb, scheduleArb, (history, schedule) => {
        // Act
        const { state } = simulate(history, schedule, { ...FULFILLMENT, redriveOrder: 'dlq' });

        // Assess
        assessSafety(history, state, 'fulfillment.fifo');
      }),
      { numRuns: 300 },
    );
  });

  it.each<{ name: string; rules: Rules; drains: boolean }>([
    { name: 'records the whole life with decideFulfillmentSequence', rules: FULFILLMENT, drains: true },
    {
      name: 'leaves the OrderShipped stuck with the plain rule, waiting for an OrderFulfilled that never comes',
      rules: { ...FULFILLMENT, decide: bySeq(decideSequence) },
      drains: false,
    },
  ])('$name', ({ rules, drains }) => {
    // Prepare: paid, fulfilled, shipped and delivered, each event published and received as it happens
    const history = historyOf(['pay', 'fulfil', 'ship', 'deliver']);
    const schedule: Schedule = {
      maxReceiveCount: 5,
      operations: history.events.flatMap(() => [{ kind: 'publish' } as const, receive(10)]),
    };

    // Act
    const outcome = simulate(history, schedule, rules);

    // Assess
    if (drains) {
      assessOutcome(history, outcome, 'fulfillment.fifo');
      expect(outcome.state.applied).toBe(5);
    } else {
      expect({ drained: outcome.drained, left: outcome.left }).toEqual({ drained: false, left: [4, 5] });
      expect(outcome.state.appliedEvents.map((event) => event.type)).toEqual([
        'OrderPlaced',
        'OrderPaid',
        'OrderFulfilled',
      ]);
    }
  });
});
