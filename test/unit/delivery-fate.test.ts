import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseDeliveryFate,
  type DeliveryFate,
  OrderedDelivery,
  RETRY_WINDOW_MS,
} from '../../local/chaos/delivery-fate.js';
import { createFaultDice } from '../../shared/faults/fault-dice.js';

/** A clock the test advances: scheduled actions run in time order (ties in the order they were scheduled). */
function manualClock() {
  let now = 0;
  let order = 0;
  const due: Array<{ at: number; order: number; action: () => void }> = [];
  return {
    schedule: (ms: number, action: () => void) => {
      due.push({ at: now + ms, order: order++, action });
    },
    runAll: () => {
      for (;;) {
        due.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = due.shift();
        if (next === undefined) return;
        now = next.at;
        next.action();
      }
    },
  };
}

interface Message {
  group: string;
  n: number;
}

const fate: fc.Arbitrary<DeliveryFate> = fc.oneof(
  fc.constant<DeliveryFate>({ kind: 'deliver' }),
  fc.integer({ min: 1, max: 50 }).map((afterMs): DeliveryFate => ({ kind: 'delay', afterMs })),
  fc.integer({ min: 1, max: 50 }).map((afterMs): DeliveryFate => ({ kind: 'dead-letter', afterMs })),
  fc.integer({ min: 1, max: 50 }).map((againAfterMs): DeliveryFate => ({ kind: 'duplicate', againAfterMs })),
);

/** Messages of a few groups, published in this order, each with the fate it will meet. */
const publications = fc.array(fc.record({ group: fc.constantFrom('a', 'b', 'c'), fate }), { maxLength: 40 });

function deliverAll(published: ReadonlyArray<{ group: string; fate: DeliveryFate }>) {
  const clock = manualClock();
  const fates = new Map<Message, DeliveryFate>();
  const delivery = new OrderedDelivery<Message>(
    (message) => fates.get(message) ?? { kind: 'deliver' },
    clock.schedule,
  );
  const queue: Array<{ message: Message; copy: boolean }> = [];
  const dlq: Message[] = [];
  const actions = {
    enqueue: (message: Message) => queue.push({ message, copy: false }),
    enqueueCopy: (message: Message) => queue.push({ message, copy: true }),
    deadLetter: (message: Message) => dlq.push(message),
  };
  const messages = published.map(({ group, fate }, n) => {
    const message = { group, n };
    fates.set(message, fate);
    return message;
  });
  for (const message of messages) delivery.deliver(message.group, message, actions);
  const pendingBefore = delivery.pending;
  clock.runAll();
  return { messages, queue, dlq, pendingBefore, pendingAfter: delivery.pending };
}

describe('OrderedDelivery', () => {
  it("loses nothing: each message ends in the queue or the DLQ, once (and a duplicate's copy once more)", () => {
    fc.assert(
      fc.property(publications, (published) => {
        // Act
        const { messages, queue, dlq, pendingAfter } = deliverAll(published);

        // Assess
        for (const [index, message] of messages.entries()) {
          const kind = published[index]?.fate.kind;
          const originals = queue.filter((each) => each.message === message && !each.copy).length;
          const copies = queue.filter((each) => each.message === message && each.copy).length;
          const deadLettered = dlq.filter((each) => each === message).length;
          expect({ originals, copies, deadLettered }).toEqual({
            originals: kind === 'dead-letter' ? 0 : 1,
            copies: kind === 'duplicate' ? 1 : 0,
            deadLettered: kind === 'dead-letter' ? 1 : 0,
          });
        }
        expect(pendingAfter).toBe(0);
      }),
    );
  });

  it("keeps each group's first deliveries in publish order, delays and retries included", () => {
    fc.assert(
      fc.property(publications, (published) => {
        // Act
        const { queue } = deliverAll(published);

        // Assess
        for (const group of ['a', 'b', 'c']) {
          const order = queue
            .filter((each) => !each.copy && each.message.group === group)
            .map((each) => each.message.n);
          expect(order).toEqual([...order].sort((x, y) => x - y));
        }
      }),
    );
  });

  it('holds up only the group of a retried message', () => {
    // Prepare
    const published = [
      { group: 'a', fate: { kind: 'delay', afterMs: 10 } as const },
      { group: 'a', fate: { kind: 'deliver' } as const },
      { group: 'b', fate: { kind: 'deliver' } as const },
    ];
    const clock = manualClock();
    const queue: Message[] = [];
    const fates = published.map(({ fate }) => fate);
    let index = 0;
    const delivery = new OrderedDelivery<Message>(
      () => fates[index++] ?? { kind: 'deliver' },
      clock.schedule,
    );
    const actions = { enqueue: (m: Message) => queue.push(m), enqueueCopy: () => {}, deadLetter: () => {} };

    // Act
    published.forEach(({ group }, n) => {
      delivery.deliver(group, { group, n }, actions);
    });
    const beforeRetry = queue.map(({ n }) => n);
    const pending = delivery.pending;
    clock.runAll();

    // Assess
    expect(beforeRetry).toEqual([2]);
    expect(pending).toBe(2);
    expect(queue.map(({ n }) => n)).toEqual([2, 0, 1]);
  });
});

describe('chooseDeliveryFate', () => {
  it('delivers every message at once when the rates are 0 (the faults turned off)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const dice = createFaultDice(seed, 'sns');
        const plan = { snsDelayRate: 0, snsDeadLetterRate: 0, snsDuplicateRate: 0 };
        for (let draw = 0; draw < 20; draw += 1)
          expect(chooseDeliveryFate(dice, plan)).toEqual({ kind: 'deliver' });
      }),
    );
  });

  it('retries for a while within the retry window before it delivers or dead-letters', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        // Act
        const fateOf = chooseDeliveryFate(createFaultDice(seed, 'sns'), {
          snsDelayRate: 0.5,
          snsDeadLetterRate: 0.5,
          snsDuplicateRate: 0.5,
        });

        // Assess
        const waited =
          'afterMs' in fateOf ? fateOf.afterMs : 'againAfterMs' in fateOf ? fateOf.againAfterMs : 0;
        if (fateOf.kind !== 'deliver') {
          expect(waited).toBeGreaterThanOrEqual(RETRY_WINDOW_MS.min);
          expect(waited).toBeLessThanOrEqual(RETRY_WINDOW_MS.max);
        }
      }),
    );
  });

  it('meets each fate about as often as its rate says', () => {
    // Prepare
    const dice = createFaultDice(11, 'sns');
    const plan = { snsDelayRate: 0.2, snsDeadLetterRate: 0.05, snsDuplicateRate: 0.1 };

    // Act
    const kinds = Array.from({ length: 10_000 }, () => chooseDeliveryFate(dice, plan).kind);
    const share = (kind: string) => kinds.filter((each) => each === kind).length / kinds.length;

    // Assess: dead-letter first, then delay, then duplicate, each from what the earlier rolls left.
    expect(share('dead-letter')).toBeCloseTo(0.05, 1);
    expect(share('delay')).toBeCloseTo(0.95 * 0.2, 1);
    expect(share('duplicate')).toBeCloseTo(0.95 * 0.8 * 0.1, 1);
  });
});
