import { createFaultDice, seededRandom } from '../../shared/faults/fault-dice.js';
import { type OrderPlan, planWorkload } from '../load/workload.js';

/**
 * What a chaos run asks of the HTTP API, decided from the seed before anything is sent: the load run's orders
 * (baskets, regions, a share of cancels racing the pay), each sent the way careless and careful clients send:
 * with an `Idempotency-Key` or without one, some requests twice.
 */
export interface ChaosOrderPlan extends OrderPlan {
  /** Its create, pay and cancel carry an `Idempotency-Key` (`<key>`, `<key>-pay`, `<key>-cancel`). */
  keyed: boolean;
  /** A keyed create sent twice at once with the same key: one order, both answers name it. */
  repeatCreate: boolean;
  /** The pay sent again once answered (with its key, or — unkeyed — as a second, identical request). */
  repeatPay: boolean;
  /** The cancel, when there is one, sent again once answered. */
  repeatCancel: boolean;
}

export interface ChaosWorkloadOptions {
  runId: string;
  orders: number;
  seed: number;
  /** The fraction of orders whose cancel races their pay. */
  cancelRatio: number;
  /** The fraction of orders sent with an `Idempotency-Key` (default 0.75). */
  keyedRatio?: number;
  /** The fraction of requests of each kind sent twice (default 0.2). */
  repeatRatio?: number;
}

/** The plan of a chaos run: the same seed and run id give the same plan, request for request. */
export function planChaosWorkload({
  runId,
  orders,
  seed,
  cancelRatio,
  keyedRatio = 0.75,
  repeatRatio = 0.2,
}: ChaosWorkloadOptions): ChaosOrderPlan[] {
  const plans = planWorkload({ runId, orders, cancelRatio, prefix: 'chaos' }, seededRandom(seed, 'baskets'));
  const dice = createFaultDice(seed, 'requests');
  return plans.map((plan) => {
    const keyed = dice.roll(keyedRatio);
    const repeatCreate = dice.roll(repeatRatio);
    const repeatPay = dice.roll(repeatRatio);
    const repeatCancel = dice.roll(repeatRatio);
    return {
      ...plan,
      keyed,
      // Without a key a second create is a second order, by design: only a keyed create is repeated.
      repeatCreate: keyed && repeatCreate,
      repeatPay,
      repeatCancel: plan.cancel && repeatCancel,
    };
  });
}
