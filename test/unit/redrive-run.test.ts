import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RedriveOptions } from '../../shared/app/redrive-dlq.js';
import { RedriveInProgressError, runRedrive } from '../../shared/app/redrive-dlq.js';
import type { ReceivedDeadLetter } from '../../shared/core/ports.js';
import { decideSequence } from '../../shared/core/sequencing.js';
import type { FakeFifoSourceQueue, FakeRedriveWorld, FaultPoint } from '../support/fake-redrive-ports.js';
import { deadLetter, fakeRedriveWorld, InjectedFault } from '../support/fake-redrive-ports.js';

const QUEUE = 'fulfillment';
const LOCK_TTL_MS = 15 * 60_000;

/** A world whose DLQ holds these messages, in this order. */
function worldWith(...messages: ReceivedDeadLetter[]): FakeRedriveWorld {
  const world = fakeRedriveWorld();
  world.dlq.add(...messages);
  return world;
}

const ids = (messages: ReadonlyArray<{ messageId: string }>): string[] =>
  messages.map(({ messageId }) => messageId);

/** What the source queue holds, as `<group><seq>`, group by group. */
const sourceOf = (world: FakeRedriveWorld): string[] =>
  world.source.messages.map(({ groupId, seq }) => `${groupId}${seq ?? ''}`);

const run = (world: FakeRedriveWorld, options: Partial<RedriveOptions> = {}) =>
  runRedrive(world.ports, { queue: QUEUE, owner: 'operator', ...options });

describe('runRedrive', () => {
  it('moves nothing in a dry run', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 2), deadLetter('B', 1), deadLetter('A', 1));

    // Act
    const report = await run(world, { dryRun: true });

    // Assess
    expect(report.dryRun).toBe(true);
    expect(ids(world.dlq.messages)).toEqual(['A-2-0', 'B-1-0', 'A-1-0']);
    expect(world.source.log).toEqual([]);
    expect(world.parking.stagedNow(QUEUE)).toEqual([]);
    expect(world.parking.parkedNow(QUEUE)).toEqual([]);
    expect(world.lock.isHeld(QUEUE)).toBe(false);
  });

  it('lists in a dry run the heads of the DLQ groups it cannot plan without taking them out', async () => {
    // Prepare: the DLQ holds A's OrderPaid before its OrderPlaced; a FIFO DLQ shows only A2 and B1.
    const world = worldWith(deadLetter('A', 2), deadLetter('B', 1), deadLetter('A', 1));

    // Act
    const report = await run(world, { dryRun: true });

    // Assess: nothing planned from the DLQ itself, nothing taken out of it.
    expect(report.moved).toEqual([]);
    expect(report.unreadHeads.map(({ groupId, seq }) => `${groupId}${seq}`)).toEqual(['A2', 'B1']);
    expect(world.dlq.messages).toHaveLength(3);
  });

  it('plans in a dry run what a dead run left staged, each group in seq order', async () => {
    // Prepare: a run that died after staging everything (its first send failed).
    const world = worldWith(deadLetter('A', 2), deadLetter('B', 1), deadLetter('A', 1));
    world.faults.failAt('send', 1);
    await run(world).catch(() => undefined);

    // Act
    const report = await run(world, { dryRun: true });

    // Assess: what the next real run moves.
    expect(report.moved.map(({ groupId, seq }) => `${groupId}${seq}`)).toEqual(['A1', 'A2', 'B1']);
    expect(report.unreadHeads).toEqual([]);
  });

  it('moves at most max messages and sends the rest in the next run', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1), deadLetter('B', 1), deadLetter('A', 2));

    // Act
    const first = await run(world, { max: 2 });

    // Assess
    expect(first.moved).toHaveLength(2);
    expect(first.waiting).toBe(1);
    expect(world.source.log).toHaveLength(2);
    expect(world.dlq.messages).toEqual([]);

    // Act
    const second = await run(world);

    // Assess
    expect(second.moved).toHaveLength(1);
    expect(sourceOf(world).sort()).toEqual(['A1', 'A2', 'B1']);
    expect(world.parking.stagedNow(QUEUE)).toEqual([]);
  });

  it('moves only the chosen order', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1), deadLetter('B', 2), deadLetter('B', 1), deadLetter('A', 2));

    // Act
    const report = await run(world, { orderId: 'B' });

    // Assess
    expect(report.moved.map(({ groupId, seq }) => `${groupId}${seq}`)).toEqual(['B1', 'B2']);
    expect(sourceOf(world)).toEqual(['B1', 'B2']);
    expect(ids(world.parking.stagedNow(QUEUE)).sort()).toEqual(['A-1-0', 'A-2-0']);
    expect(report.waiting).toBe(2);
  });

  it('parks a message redriven parkAfter times with its reason and holds the rest of its group', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 2), deadLetter('A', 1, { redriveCount: 3 }), deadLetter('B', 1));

    // Act
    const report = await run(world);

    // Assess
    expect(report.parked).toEqual([
      { messageId: 'A-1-3', groupId: 'A', reason: 'redriven 3 times (limit 3)' },
    ]);
    expect(world.parking.parkedNow(QUEUE).map(({ message, reason }) => [message.messageId, reason])).toEqual([
      ['A-1-3', 'redriven 3 times (limit 3)'],
    ]);
    expect(sourceOf(world)).toEqual(['B1']);
    expect(ids(world.parking.stagedNow(QUEUE))).toEqual(['A-2-0']);
    expect(report.waiting).toBe(1);
  });

  it('keeps holding the rest of a group behind its parked message in the next run', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1, { redriveCount: 3 }), deadLetter('A', 2));
    await run(world);

    // Act
    const report = await run(world);

    // Assess: OrderPaid alone would meet a gap at the consumer and dead-letter again.
    expect(report.moved).toEqual([]);
    expect(sourceOf(world)).toEqual([]);
    expect(ids(world.parking.stagedNow(QUEUE))).toEqual(['A-2-0']);
  });

  it('puts a parked message back once its fix shipped: it goes first, counted afresh, and its group follows', async () => {
    // Prepare: A1 parked, A2 held behind it.
    const world = worldWith(deadLetter('A', 1, { redriveCount: 3 }), deadLetter('A', 2));
    await run(world);

    // Act
    const report = await run(world, { unpark: ['A-1-3'] });

    // Assess
    expect(report.unparked).toEqual([{ messageId: 'A-1-3', groupId: 'A', seq: 1 }]);
    expect(report.moved.map(({ messageId, redriveCount }) => [messageId, redriveCount])).toEqual([
      ['A-1-3', 1],
      ['A-2-0', 1],
    ]);
    expect(sourceOf(world)).toEqual(['A1', 'A2']);
    expect(world.parking.parkedNow(QUEUE)).toEqual([]);
    expect(world.parking.stagedNow(QUEUE)).toEqual([]);
  });

  it('reports an id that names no parked message and changes nothing for it', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1, { redriveCount: 3 }));
    await run(world);

    // Act
    const report = await run(world, { unpark: ['no-such-message'] });

    // Assess
    expect(report).toMatchObject({ unparked: [], notParked: ['no-such-message'], moved: [] });
    expect(ids(world.parking.parkedNow(QUEUE).map(({ message }) => message))).toEqual(['A-1-3']);
  });

  it('loses nothing when an unpark dies between staging and removing the parked copy, and a second one completes it', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1, { redriveCount: 3 }), deadLetter('A', 2));
    await run(world);
    world.faults.failAt('unpark', 1);

    // Act
    const dying = run(world, { unpark: ['A-1-3'] });
    await expect(dying).rejects.toBeInstanceOf(InjectedFault);
    const between = {
      staged: ids(world.parking.stagedNow(QUEUE)).sort(),
      parked: ids(world.parking.parkedNow(QUEUE).map(({ message }) => message)),
    };
    const report = await run(world, { unpark: ['A-1-3'] });

    // Assess
    expect(between).toEqual({ staged: ['A-1-3', 'A-2-0'], parked: ['A-1-3'] });
    expect(report.unparked).toEqual([{ messageId: 'A-1-3', groupId: 'A', seq: 1 }]);
    expect(sourceOf(world)).toEqual(['A1', 'A2']);
    expect(world.parking.parkedNow(QUEUE)).toEqual([]);
  });

  it('refuses to unpark in a dry run, before taking the lock', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1, { redriveCount: 3 }));
    await run(world);

    // Act
    const running = run(world, { dryRun: true, unpark: ['A-1-3'] });

    // Assess
    await expect(running).rejects.toMatchObject({ name: 'ValidationError', issues: [{ field: 'unpark' }] });
    expect(world.lock.isHeld(QUEUE)).toBe(false);
    expect(world.parking.parkedNow(QUEUE)).toHaveLength(1);
  });

  it('refuses a second concurrent run with RedriveInProgressError and lets it change nothing', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 2), deadLetter('A', 1), deadLetter('B', 1));

    // Act
    const [first, second] = await Promise.allSettled([
      run(world, { owner: 'one' }),
      run(world, { owner: 'two' }),
    ]);

    // Assess
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    if (second.status === 'rejected') expect(second.reason).toBeInstanceOf(RedriveInProgressError);
    expect(world.source.log.map(({ groupId, seq }) => `${groupId}${seq}`)).toEqual(['A1', 'A2', 'B1']);
    expect(world.lock.isHeld(QUEUE)).toBe(false);
  });

  it('refuses to run while another owner holds the lock and leaves everything as it was', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1));
    await world.lock.lock(QUEUE, 'someone-else', LOCK_TTL_MS);

    // Act
    const attempt = run(world);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RedriveInProgressError);
    expect(ids(world.dlq.messages)).toEqual(['A-1-0']);
    expect(world.source.log).toEqual([]);
    expect(world.parking.stagedNow(QUEUE)).toEqual([]);
    expect(world.lock.records.get(QUEUE)?.owner).toBe('someone-else');
  });

  it.each<[name: string, fault: FaultPoint | undefined]>([
    ['a run that succeeds', undefined],
    ['a run whose send fails', 'send'],
    ['a run whose DLQ delete fails', 'delete'],
    ['a run whose staging fails', 'stage'],
    ['a run whose release fails', 'release'],
    ['a run that crashes between send and release', 'sendThenCrash'],
  ])('releases the lock after %s', async (_name, fault) => {
    // Prepare
    const world = worldWith(deadLetter('A', 1), deadLetter('A', 2));
    if (fault !== undefined) world.faults.failAt(fault, 1);

    // Act
    const outcome = await run(world).then(
      () => 'done',
      (error: unknown) => error,
    );

    // Assess
    if (fault === undefined) expect(outcome).toBe('done');
    else expect(outcome).toBeInstanceOf(InjectedFault);
    expect(world.lock.isHeld(QUEUE)).toBe(false);
  });

  it('sends each message in its group with a fresh deduplication id and its redrive count plus one', async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 1, { redriveCount: 1 }), deadLetter('B', 1));

    // Act
    const report = await run(world);

    // Assess
    expect(world.source.log).toEqual([
      {
        messageId: 'A-1-1',
        groupId: 'A',
        orderId: 'A',
        seq: 1,
        deduplicationId: 'A-1-1:redrive:2',
        redriveCount: 2,
      },
      {
        messageId: 'B-1-0',
        groupId: 'B',
        orderId: 'B',
        seq: 1,
        deduplicationId: 'B-1-0:redrive:1',
        redriveCount: 1,
      },
    ]);
    expect(report.moved.map(({ redriveCount }) => redriveCount)).toEqual([2, 1]);
    expect(world.dlq.messages).toEqual([]);
    expect(world.parking.stagedNow(QUEUE)).toEqual([]);
  });

  it("sends an order's OrderPlaced before its OrderPaid although the DLQ holds OrderPaid first", async () => {
    // Prepare
    const world = worldWith(deadLetter('A', 2), deadLetter('A', 1));

    // Act
    await run(world);

    // Assess
    expect(world.source.log.map(({ seq }) => seq)).toEqual([1, 2]);
    expect(drain(world.source).applied.get('A')).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The acceptance property: any DLQ, any fault of a run (or two runs racing), then a clean run.
// ---------------------------------------------------------------------------------------------------------------

interface Drained {
  /** Per order, the seq of the last event the consumer applied. */
  applied: Map<string, number>;
  /** Per order, the gap its group is stuck at: FIFO never delivers what is behind it. */
  blocked: Map<string, { seq: number; expected: number }>;
}

/**
 * A consumer applying `decideSequence` to each group of the source queue: it applies the next seq, acknowledges
 * duplicates, and stops a group at a gap (the head is retried, nothing behind it is delivered).
 */
function drain(source: FakeFifoSourceQueue): Drained {
  const drained: Drained = { applied: new Map(), blocked: new Map() };
  for (const [groupId, messages] of source.groups) {
    let applied = 0;
    for (const { seq } of messages) {
      if (seq === undefined) continue;
      const decision = decideSequence(applied, seq);
      if (decision.kind === 'gap') {
        drained.blocked.set(groupId, { seq, expected: decision.expected });
        break;
      }
      if (decision.kind === 'apply') applied = seq;
    }
    drained.applied.set(groupId, applied);
  }
  return drained;
}

type FaultSpec = { point: FaultPoint; at: number } | undefined;

interface Scenario {
  dlq: ReceivedDeadLetter[];
  fault: FaultSpec;
  race: boolean;
  firstRun: { max?: number; orderId?: string };
}

const ORDERS = ['o1', 'o2', 'o3'] as const;

/** Each order's events 1..n, sometimes one missing, some twice, in any interleaving and any order within a group. */
const dlqArb = (redriveCountArb: fc.Arbitrary<number>): fc.Arbitrary<ReceivedDeadLetter[]> =>
  fc
    .array(
      fc.record({
        events: fc.integer({ min: 1, max: 4 }),
        missing: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 5, nil: undefined }),
        twice: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: ORDERS.length },
    )
    .chain((orders) => {
      const specs = orders.flatMap(({ events, missing, twice }, index) => {
        const orderId = ORDERS[index] ?? 'o0';
        const seqs = Array.from({ length: events }, (_, i) => i + 1).filter((seq) => seq !== missing);
        return [...seqs, ...twice.filter((seq) => seq <= events && seq !== missing)].map((seq) => ({
          orderId,
          seq,
        }));
      });
      return fc.tuple(
        fc.shuffledSubarray(specs, { minLength: specs.length, maxLength: specs.length }),
        fc.array(redriveCountArb, { minLength: specs.length, maxLength: specs.length }),
      );
    })
    .map(([specs, counts]) =>
      specs.map(({ orderId, seq }, index) =>
        deadLetter(orderId, seq, { messageId: `m${index}`, redriveCount: counts[index] ?? 0 }),
      ),
    );

const faultArb: fc.Arbitrary<FaultSpec> = fc.option(
  fc.record({
    point: fc.constantFrom<FaultPoint>(
      'send',
      'sendThenCrash',
      'delete',
      'stage',
      'release',
      'park',
      'receive',
      'lockRelease',
    ),
    at: fc.integer({ min: 1, max: 12 }),
  }),
  { freq: 6, nil: undefined },
);

const scenarioArb = (redriveCountArb: fc.Arbitrary<number>): fc.Arbitrary<Scenario> =>
  fc.record({
    dlq: dlqArb(redriveCountArb),
    fault: faultArb,
    race: fc.boolean(),
    firstRun: fc.record(
      { max: fc.integer({ min: 0, max: 6 }), orderId: fc.constantFrom(...ORDERS) },
      { requiredKeys: [] },
    ),
  });

/** Runs the scenario; returns the world and where the clean run's sends start in the source log. */
async function play(scenario: Scenario): Promise<{ world: FakeRedriveWorld; cleanFrom: number }> {
  const world = worldWith(...scenario.dlq);
  if (scenario.fault !== undefined) world.faults.failAt(scenario.fault.point, scenario.fault.at);

  // The run that may fail, and perhaps a second one racing it.
  const runs = [run(world, { owner: 'first', lockTtlMs: LOCK_TTL_MS, ...scenario.firstRun })];
  if (scenario.race) runs.push(run(world, { owner: 'racer', lockTtlMs: LOCK_TTL_MS }));
  const outcomes = await Promise.allSettled(runs);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      expect(outcome.reason).toSatisfy(
        (error: unknown) => error instanceof InjectedFault || error instanceof RedriveInProgressError,
      );
    }
  }

  // Later: the fault is over, hidden DLQ messages are visible again, a lock left behind has expired.
  world.faults.clear();
  world.dlq.expireVisibility();
  world.lock.now += LOCK_TTL_MS + 1;

  const cleanFrom = world.source.log.length;
  await run(world, { owner: 'clean', lockTtlMs: LOCK_TTL_MS });
  return { world, cleanFrom };
}

/** Orders whose events 1..n (n its highest seq in the DLQ) were all in the DLQ, with n. */
function completeOrders(dlq: readonly ReceivedDeadLetter[]): Map<string, number> {
  const complete = new Map<string, number>();
  for (const orderId of new Set(dlq.map((message) => message.groupId))) {
    const seqs = new Set(dlq.filter((message) => message.groupId === orderId).map(({ seq }) => seq ?? 0));
    const n = Math.max(...seqs);
    if (Array.from({ length: n }, (_, i) => i + 1).every((seq) => seqs.has(seq))) complete.set(orderId, n);
  }
  return complete;
}

async function assertAcceptance(scenario: Scenario): Promise<void> {
  // Act
  const { world, cleanFrom } = await play(scenario);

  // Assess: nothing is gone — each message is in the source (perhaps twice), the DLQ, staged or parked.
  const whereabouts = [
    ...new Set(ids(world.source.log)),
    ...ids(world.dlq.messages),
    ...ids(world.parking.stagedNow(QUEUE)),
    ...ids(world.parking.parkedNow(QUEUE).map(({ message }) => message)),
  ];
  expect(whereabouts.sort()).toEqual(ids(scenario.dlq).sort());
  expect(world.lock.isHeld(QUEUE)).toBe(false);

  // Each group reached the source in seq order in the clean run.
  const cleanSends = world.source.log.slice(cleanFrom);
  for (const groupId of new Set(cleanSends.map(({ groupId }) => groupId))) {
    const seqs = cleanSends.filter((sent) => sent.groupId === groupId).map(({ seq }) => seq ?? 0);
    expect(seqs, `group ${groupId} in the clean run`).toEqual([...seqs].sort((a, b) => a - b));
  }

  // The consumer ends each complete order as once-only, in-order application would; a parked event holds its
  // group at the event before it, without a gap.
  const { applied, blocked } = drain(world.source);
  const parked = world.parking.parkedNow(QUEUE).map(({ message }) => message);
  for (const [orderId, n] of completeOrders(scenario.dlq)) {
    expect(blocked.get(orderId), `order ${orderId} blocked forever at a gap`).toBeUndefined();
    const parkedSeqs = parked.filter((message) => message.groupId === orderId).map(({ seq }) => seq ?? 0);
    if (parkedSeqs.length === 0) expect(applied.get(orderId) ?? 0, `order ${orderId}`).toBe(n);
    else expect(applied.get(orderId) ?? 0).toBeGreaterThanOrEqual(Math.min(...parkedSeqs) - 1);
  }
}

describe('runRedrive, whatever the DLQ and whatever fails', () => {
  it('loses nothing, sends each group in seq order and ends each order as in-order once-only delivery, with no message due to be parked', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb(fc.constantFrom(0, 0, 0, 1, 2)), assertAcceptance), {
      numRuns: 150,
    });
  });

  it('loses nothing, sends each group in seq order and ends each order as in-order once-only delivery, with any redrive counts', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4)), assertAcceptance),
      { numRuns: 150 },
    );
  });
});
