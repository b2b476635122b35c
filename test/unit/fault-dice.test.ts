import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFaultDice, hash32, keyedChance, seededRandom } from '../../shared/faults/fault-dice.js';

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const stream = fc.string({ minLength: 1, maxLength: 20 });

describe('seededRandom', () => {
  it('repeats its stream for the same seed and stream name', () => {
    fc.assert(
      fc.property(seed, stream, (s, name) => {
        // Act
        const first = seededRandom(s, name);
        const second = seededRandom(s, name);

        // Assess
        const a = Array.from({ length: 50 }, first);
        const b = Array.from({ length: 50 }, second);
        expect(a).toEqual(b);
      }),
    );
  });

  it('draws numbers from 0 (included) to 1 (excluded)', () => {
    fc.assert(
      fc.property(seed, stream, (s, name) => {
        const next = seededRandom(s, name);
        for (let draw = 0; draw < 200; draw += 1) {
          const value = next();
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(1);
        }
      }),
    );
  });

  it('gives two stream names of one seed unrelated streams', () => {
    fc.assert(
      fc.property(seed, stream, stream, (s, one, other) => {
        fc.pre(one !== other);
        // Act
        const a = Array.from({ length: 8 }, seededRandom(s, one));
        const b = Array.from({ length: 8 }, seededRandom(s, other));

        // Assess
        expect(a).not.toEqual(b);
      }),
    );
  });
});

describe('createFaultDice', () => {
  it('never rolls a rate of 0 and always rolls a rate of 1', () => {
    fc.assert(
      fc.property(seed, stream, (s, name) => {
        const dice = createFaultDice(s, name);
        for (let draw = 0; draw < 100; draw += 1) {
          expect(dice.roll(0)).toBe(false);
          expect(dice.roll(1)).toBe(true);
        }
      }),
    );
  });

  it('rolls a rate about that often (within five standard deviations over 4,000 rolls)', () => {
    fc.assert(
      fc.property(seed, fc.double({ min: 0.01, max: 0.99, noNaN: true }), (s, rate) => {
        // Prepare
        const dice = createFaultDice(s, 'frequency');
        const rolls = 4_000;

        // Act
        let hits = 0;
        for (let draw = 0; draw < rolls; draw += 1) if (dice.roll(rate)) hits += 1;

        // Assess
        const sigma = Math.sqrt(rolls * rate * (1 - rate));
        expect(Math.abs(hits - rolls * rate)).toBeLessThanOrEqual(5 * sigma);
      }),
      { numRuns: 30 },
    );
  });

  it('takes one draw per roll whatever the rate, so later decisions do not depend on earlier rates', () => {
    fc.assert(
      fc.property(
        seed,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
        (s, rates) => {
          // Prepare
          const withRates = createFaultDice(s, 'independence');
          const withZeros = createFaultDice(s, 'independence');

          // Act
          for (const rate of rates) withRates.roll(rate);
          for (const _ of rates) withZeros.roll(0);

          // Assess
          expect(withRates.between(0, 1_000_000)).toBe(withZeros.between(0, 1_000_000));
        },
      ),
    );
  });

  it('chooses every option in time, and only the options', () => {
    // Prepare
    const dice = createFaultDice(42, 'choices');
    const options = ['throttling', 'server-error', 'timeout'] as const;

    // Act
    const chosen = Array.from({ length: 300 }, () => dice.choose(options));

    // Assess
    expect(new Set(chosen)).toEqual(new Set(options));
  });

  it('draws whole numbers between both bounds, both included', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        (s, low, span) => {
          const dice = createFaultDice(s, 'between');
          for (let draw = 0; draw < 50; draw += 1) {
            const value = dice.between(low, low + span);
            expect(Number.isInteger(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(low);
            expect(value).toBeLessThanOrEqual(low + span);
          }
        },
      ),
    );
  });
});

describe('keyedChance', () => {
  it('is the same for the same seed and key, whoever asks', () => {
    fc.assert(
      fc.property(seed, fc.string(), (s, key) => {
        expect(keyedChance(s, key)).toBe(keyedChance(s, key));
      }),
    );
  });

  it('spreads keys evenly: about a tenth of 10,000 event ids fall under 0.1', () => {
    // Act
    const under = Array.from({ length: 10_000 }, (_, index) => keyedChance(7, `poison:evt-${index}`)).filter(
      (chance) => chance < 0.1,
    ).length;

    // Assess: 5 standard deviations of a binomial(10,000, 0.1) is 150.
    expect(Math.abs(under - 1_000)).toBeLessThanOrEqual(150);
  });

  it('changes with the seed: another run poisons other events', () => {
    // Act
    const picked = (s: number) =>
      Array.from({ length: 1_000 }, (_, index) => index).filter(
        (index) => keyedChance(s, `e-${index}`) < 0.05,
      );

    // Assess
    expect(picked(1)).not.toEqual(picked(2));
  });
});

describe('hash32', () => {
  it('is an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const value = hash32(text);
        expect(Number.isInteger(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(2 ** 32);
      }),
    );
  });
});
