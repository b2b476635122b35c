import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FaultPlanError,
  functionFaultsOf,
  noFaults,
  planForFaultRate,
  readFunctionFaults,
  SDK_SERVICES,
  writeFunctionFaults,
} from '../../shared/faults/fault-plan.js';

const rate = fc.double({ min: 0, max: 1, noNaN: true });
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Every rate of a plan, flattened. */
const ratesOf = (plan: ReturnType<typeof planForFaultRate>) => [
  ...Object.values(plan.sdkErrorRate),
  plan.crashAfterWriteRate,
  plan.poisonEventRate,
  plan.sqsDuplicateRate,
  plan.visibilityExpiryRate,
  plan.snsDelayRate,
  plan.snsDeadLetterRate,
  plan.snsDuplicateRate,
];

describe('planForFaultRate', () => {
  it('fails every SDK call of every service at the given rate', () => {
    fc.assert(
      fc.property(rate, seed, (r, s) => {
        // Act
        const plan = planForFaultRate(r, s);

        // Assess
        expect(Object.keys(plan.sdkErrorRate).sort()).toEqual([...SDK_SERVICES].sort());
        for (const service of SDK_SERVICES) expect(plan.sdkErrorRate[service]).toBe(r);
        expect(plan.seed).toBe(s);
      }),
    );
  });

  it('keeps every rate a probability, no larger than the fault rate', () => {
    fc.assert(
      fc.property(rate, seed, (r, s) => {
        for (const each of ratesOf(planForFaultRate(r, s))) {
          expect(each).toBeGreaterThanOrEqual(0);
          expect(each).toBeLessThanOrEqual(r);
        }
      }),
    );
  });

  it('grows every rate with the fault rate', () => {
    fc.assert(
      fc.property(rate, rate, (a, b) => {
        fc.pre(a < b);
        const lower = ratesOf(planForFaultRate(a, 1));
        const higher = ratesOf(planForFaultRate(b, 1));
        for (const [index, each] of lower.entries()) {
          expect(each).toBeLessThanOrEqual(higher[index] ?? Number.NaN);
        }
      }),
    );
  });

  it('injects nothing at rate 0', () => {
    expect(ratesOf(noFaults(3)).every((each) => each === 0)).toBe(true);
  });

  it.each([[-0.1], [1.5], [Number.NaN]])('refuses the fault rate %s', (value) => {
    expect(() => planForFaultRate(value, 1)).toThrow(RangeError);
  });
});

describe('functionFaultsOf', () => {
  it('crashes only consumers, and gives every function its SDK errors and poison events', () => {
    // Prepare
    const plan = planForFaultRate(0.2, 9);

    // Act
    const consumer = functionFaultsOf(plan, { consumer: true });
    const httpFunction = functionFaultsOf(plan, { consumer: false });

    // Assess
    expect(consumer.crashAfterWriteRate).toBe(plan.crashAfterWriteRate);
    expect(httpFunction.crashAfterWriteRate).toBe(0);
    expect(httpFunction.sdkErrorRate).toEqual(plan.sdkErrorRate);
    expect(httpFunction.poisonEventRate).toBe(plan.poisonEventRate);
    expect(consumer.seed).toBe(9);
  });
});

describe('readFunctionFaults (ORDERFLOW_CHAOS)', () => {
  it('reads back what the local cloud wrote', () => {
    fc.assert(
      fc.property(rate, seed, fc.boolean(), (r, s, consumer) => {
        // Prepare
        const faults = functionFaultsOf(planForFaultRate(r, s), { consumer });

        // Act
        const read = readFunctionFaults({ ORDERFLOW_CHAOS: writeFunctionFaults(faults) });

        // Assess
        expect(read).toEqual(faults);
      }),
    );
  });

  it.each([
    ['unset', {}],
    ['empty', { ORDERFLOW_CHAOS: '' }],
  ])('is off when the variable is %s, as in every deployed stage', (_, env) => {
    expect(readFunctionFaults(env)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{seed: 1', 'is not JSON; unset it to turn the faults off'],
    [
      'a rate above 1',
      '{"seed":1,"sdkErrorRate":{"sns":2},"crashAfterWriteRate":0,"poisonEventRate":0}',
      'sdkErrorRate.sns',
    ],
    [
      'an unknown service',
      '{"seed":1,"sdkErrorRate":{"s3":0.1},"crashAfterWriteRate":0,"poisonEventRate":0}',
      'is not a fault plan',
    ],
    ['a missing rate', '{"seed":1,"sdkErrorRate":{}}', 'crashAfterWriteRate'],
    [
      'an unknown field',
      '{"seed":1,"sdkErrorRate":{},"crashAfterWriteRate":0,"poisonEventRate":0,"everything":1}',
      'is not a fault plan',
    ],
  ])('fails the cold start on %s, saying how to turn the faults off', (_, text, message) => {
    expect(() => readFunctionFaults({ ORDERFLOW_CHAOS: text })).toThrow(FaultPlanError);
    expect(() => readFunctionFaults({ ORDERFLOW_CHAOS: text })).toThrow(message);
  });
});
