import type { FaultDice } from '../../shared/faults/fault-dice.js';
import type { FaultPlan } from '../../shared/faults/fault-plan.js';

/**
 * What becomes of one SNS → SQS delivery in a chaos run, decided before it happens (pure: a plan and the dice):
 * - `deliver`: at once, as normally;
 * - `delay`: SNS's first attempts fail and a retry delivers it `afterMs` later;
 * - `dead-letter`: every attempt fails and SNS, having retried for `afterMs`, sends it to the subscription's DLQ;
 * - `duplicate`: delivered at once, and a second time `againAfterMs` later.
 */
export type DeliveryFate =
  | { kind: 'deliver' }
  | { kind: 'delay'; afterMs: number }
  | { kind: 'dead-letter'; afterMs: number }
  | { kind: 'duplicate'; againAfterMs: number };

/** How long SNS's retries of a delivery last here: AWS retries a queue for days; a run cannot wait that long. */
export const RETRY_WINDOW_MS = { min: 200, max: 3_000 } as const;

/**
 * Draws one delivery's fate. The dead-letter roll comes first and is the rarest: a delivery that is dead-lettered is
 * not also delayed or duplicated. Every roll is drawn whatever the rates, so a plan with a rate of 0 (the faults
 * turned off) takes the same number of draws as one without.
 */
export function chooseDeliveryFate(
  dice: FaultDice,
  plan: Pick<FaultPlan, 'snsDelayRate' | 'snsDeadLetterRate' | 'snsDuplicateRate'>,
): DeliveryFate {
  const deadLetter = dice.roll(plan.snsDeadLetterRate);
  const delay = dice.roll(plan.snsDelayRate);
  const duplicate = dice.roll(plan.snsDuplicateRate);
  const afterMs = dice.between(RETRY_WINDOW_MS.min, RETRY_WINDOW_MS.max);
  if (deadLetter) return { kind: 'dead-letter', afterMs };
  if (delay) return { kind: 'delay', afterMs };
  if (duplicate) return { kind: 'duplicate', againAfterMs: afterMs };
  return { kind: 'deliver' };
}

/** Runs `action` after `ms` (`setTimeout`, or a test's clock). */
export type Schedule = (ms: number, action: () => void) => void;

/** Where one message goes, as the delivery hook does it. */
export interface DeliveryActions<M> {
  /** Puts the message in the subscribed queue. */
  enqueue(message: M): void;
  /** Puts a copy of the message in the subscribed queue (a second delivery of it). */
  enqueueCopy(message: M): void;
  /** Puts the message in the subscription's DLQ. */
  deadLetter(message: M): void;
}

/**
 * SNS FIFO → SQS FIFO delivery with retries, for one subscription: each message group's messages reach the queue in
 * the order they were published. While one message of a group waits for a retry (delayed, or on its way to the DLQ),
 * the group's later messages wait behind it; once it is settled they follow, each with a fate of its own. Another
 * group is never held up. Nothing is dropped: every message is enqueued or dead-lettered, once (a `duplicate` twice).
 */
export class OrderedDelivery<M> {
  /** Per message group: the messages waiting behind the one being retried. */
  readonly #held = new Map<string, M[]>();
  #timers = 0;

  constructor(
    private readonly fateOf: (message: M) => DeliveryFate,
    private readonly schedule: Schedule,
  ) {}

  /** Messages not in their queue or DLQ yet (a retry, or waiting behind one), and second deliveries still due. */
  get pending(): number {
    let held = 0;
    for (const messages of this.#held.values()) held += messages.length;
    return held + this.#timers;
  }

  /** Delivers one message of `groupId` (`fateOf` decides its fate when its turn comes, not before). */
  deliver(groupId: string, message: M, actions: DeliveryActions<M>): void {
    const held = this.#held.get(groupId);
    if (held !== undefined) {
      held.push(message);
      return;
    }
    const fate = this.fateOf(message);
    switch (fate.kind) {
      case 'deliver':
        actions.enqueue(message);
        break;
      case 'duplicate':
        actions.enqueue(message);
        this.#later(fate.againAfterMs, () => actions.enqueueCopy(message));
        break;
      case 'delay':
      case 'dead-letter':
        this.#held.set(groupId, []);
        this.#later(fate.afterMs, () => {
          if (fate.kind === 'delay') actions.enqueue(message);
          else actions.deadLetter(message);
          this.#release(groupId, actions);
        });
        break;
    }
  }

  /** The group's waiting messages go on, in order; the first that is retried again holds up the rest again. */
  #release(groupId: string, actions: DeliveryActions<M>): void {
    const waiting = this.#held.get(groupId) ?? [];
    this.#held.delete(groupId);
    for (const message of waiting) this.deliver(groupId, message, actions);
  }

  #later(ms: number, action: () => void): void {
    this.#timers += 1;
    this.schedule(ms, () => {
      this.#timers -= 1;
      action();
    });
  }
}
