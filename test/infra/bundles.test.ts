import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, inject, it } from 'vitest';

/** The `.js` bundle of a packaged function, as Lambda unpacks it. */
function bundleOf(functionName: string): string {
  const zip = unzipSync(new Uint8Array(readFileSync(join(inject('packageDirs').dev, `${functionName}.zip`))));
  const entry = Object.entries(zip).find(([name]) => name.startsWith('functions/') && name.endsWith('.js'));
  if (entry === undefined) throw new Error(`${functionName}.zip holds no functions/*.js bundle`);
  return Buffer.from(entry[1]).toString('utf8');
}

describe('the packaged bundles', () => {
  it.each([
    [
      'processOrder',
      ['SequenceGapError', 'ConcurrentUpdateError', 'InvalidEventError', 'PredecessorFailedError'],
    ],
    ['createOrder', ['ValidationError', 'IdempotencyKeyReusedError', 'DependencyUnavailableError']],
  ])(
    'keep the names of the error classes %s reports (minified, yet logs name the real error)',
    (fn, names) => {
      // Act
      const bundle = bundleOf(fn);

      // Assess: each error class writes its name out, so the minifier cannot rename it.
      for (const name of names) expect(bundle).toContain(`"${name}"`);
    },
  );
});
