/**
 * The chaos run's randomness, seeded so that a run can be repeated: pure functions of a seed and a name, with no
 * clock and no `Math.random`. A stream of draws (`createFaultDice`) repeats exactly for the same seed and stream
 * name; a keyed draw (`keyedChance`) is the same every time for the same seed and key, whoever asks and when.
 */

/** A 32-bit hash of a text (FNV-1a, then an avalanche mix so that near-identical texts land far apart). */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return mix32(hash);
}

/** Murmur3's finaliser: every input bit flips about half of the output bits. */
function mix32(value: number): number {
  let mixed = value;
  mixed ^= mixed >>> 16;
  mixed = Math.imul(mixed, 0x85ebca6b);
  mixed ^= mixed >>> 13;
  mixed = Math.imul(mixed, 0xc2b2ae35);
  mixed ^= mixed >>> 16;
  return mixed >>> 0;
}

/**
 * A stream of numbers in [0, 1) for a seed and a stream name (mulberry32 over the hash of both): the same seed and
 * name give the same stream, another name an unrelated one.
 */
export function seededRandom(seed: number, stream: string): () => number {
  let state = hash32(`${seed}:${stream}`);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A number in [0, 1) fixed by the seed and the key alone: how a fault that must hit the same thing every time
 * (one event, on every delivery) is decided.
 *
 * @example keyedChance(7, 'poison:evt-1') < 0.01 // the same answer on every delivery of evt-1
 */
export function keyedChance(seed: number, key: string): number {
  return hash32(`${seed}#${key}`) / 2 ** 32;
}

/** Draws from one seeded stream: whether a fault happens now, and which of a few. */
export interface FaultDice {
  /** True with probability `rate` (never for 0 or less, always for 1 or more). */
  roll(rate: number): boolean;
  /** One of `options`, each as likely. */
  choose<T>(options: readonly [T, ...T[]]): T;
  /** A whole number from `low` to `high`, both included. */
  between(low: number, high: number): number;
}

export function createFaultDice(seed: number, stream: string): FaultDice {
  const next = seededRandom(seed, stream);
  return {
    roll: (rate) => {
      // Always draw, so that the decisions after this one do not depend on the rate asked here.
      const draw = next();
      return rate > 0 && draw < rate;
    },
    choose: (options) => options[Math.floor(next() * options.length)] ?? options[0],
    between: (low, high) => low + Math.floor(next() * (high - low + 1)),
  };
}
