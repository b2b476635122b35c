import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';

/** A string of a fixture written as `{ repeat, times, then }`: `repeat` `times` times, then `then`. */
export type FixtureText = string | { repeat: string; times: number; then?: string };

export function fixtureText(value: FixtureText): string {
  return typeof value === 'string' ? value : value.repeat.repeat(value.times) + (value.then ?? '');
}

/** The cases of a data file of `test/fixtures/hostile/`. */
export function hostileCases<C>(file: 'http.json' | 'records.json'): C[] {
  const url = new URL(`../fixtures/hostile/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: C[] }).cases;
}

/**
 * Every line written to stdout or stderr during a test, captured instead of printed, and every unhandled rejection:
 * the lines and rejections of the current test. For the logger to write at all, the test file sets
 * `POWERTOOLS_LOG_LEVEL=DEBUG` in `vi.hoisted`, before the logger is built (the tests otherwise log nothing).
 */
export function captureLogs(): { lines: string[]; rejections: unknown[] } {
  const captured = { lines: [] as string[], rejections: [] as unknown[] };
  const onRejection = (reason: unknown) => captured.rejections.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  beforeEach(() => {
    captured.lines.length = 0;
    captured.rejections.length = 0;
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        captured.lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    // What test/support/setup.ts sets: the next file in this worker logs nothing again.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  });
  return captured;
}

/** The captured lines that quote `text`. */
export function linesQuoting(lines: readonly string[], text: string): string[] {
  return lines.filter((line) => line.includes(text));
}
