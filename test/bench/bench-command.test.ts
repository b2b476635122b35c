import { describe, expect, it } from 'vitest';
import { benchCommand, describeBenchProgress } from '../../bench/bench-command.js';
import type { BenchResults } from '../../bench/results.js';

function results(bundleBytes: number): BenchResults {
  return {
    startedAt: '2026-12-02T00:00:00.000Z',
    seconds: 1,
    machine: { cpus: 2, cpuModel: 'test', memoryGiB: 24, node: 'v20.20.2', platform: 'linux x64' },
    functions: [
      {
        name: 'getOrder',
        role: 'read-only',
        clients: ['client-dynamodb'],
        bundle: {
          bytes: bundleBytes,
          gzipBytes: 1,
          largestInputs: [{ input: '@smithy/core', bytes: 100_000 }],
        },
        coldStart: {
          costMs: 1,
          ownClientsCostMs: 1,
          ratioToOwnClients: 1,
          ratioToTwoClientFloor: 1,
          importMs: 1,
          firstInvocationMs: 1,
        },
      },
    ],
    twoClientFloorMs: 1,
    stages: [],
    framework: {
      bareMicrosPerMessage: 1,
      wrappedMicrosPerMessage: 2,
      overheadMicrosPerMessage: 1,
      tracedWrappedMicrosPerMessage: 3,
    },
    perOrder: { handlerMicros: 1, sdkCallMicros: 1, ratioToSdkCalls: 1, sdkMicrosPerCall: {} },
    naiveTwin: { stages: [] },
    endToEnd: {
      idleRequestsPerSecond: {},
      runs: [
        {
          concurrency: 20,
          orders: 1,
          ordersPerSecond: 200,
          p50Ms: 1,
          p95Ms: 1,
          p99Ms: 1,
          allPassed: true,
          emulatorRequestsPerOrder: {},
        },
      ],
      floors: [],
    },
  };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) } };
}

const quiet = { isTTY: false, write: () => {} };

describe('npm run bench', () => {
  it('writes both files and exits 0 even when a budget is missed, without --check', async () => {
    const written: string[] = [];
    const { out, io: commandIo } = io();
    const code = await benchCommand(
      [],
      async () => results(400_000),
      async (_results, markdown) => {
        written.push(markdown);
        return 'latest.json, latest.md';
      },
      commandIo,
      quiet,
    );
    expect(code).toBe(0);
    expect(written[0]).toContain('| getOrder | read-only | 400.0 KB |');
    expect(out).toContain('  MISSED bundle getOrder (read-only): 400.0 KB (allowed ≤ 380.0 KB)');
  });

  it('with --check, exits 1 and names the budget missed; 0 when every budget holds', async () => {
    const missed = io();
    expect(
      await benchCommand(
        ['--check'],
        async () => results(400_000),
        async () => 'x',
        missed.io,
        quiet,
      ),
    ).toBe(1);
    expect(missed.out.some((line) => line.includes('MISSED bundle getOrder'))).toBe(true);
    const held = io();
    expect(
      await benchCommand(
        ['--check'],
        async () => results(300_000),
        async () => 'x',
        held.io,
        quiet,
      ),
    ).toBe(0);
    expect(held.out).toContain('budgets      every budget holds');
  });

  it('passes --no-package on, and refuses an unknown option with the usage line', async () => {
    let packaged: boolean | undefined;
    await benchCommand(
      ['--no-package'],
      async (options) => {
        packaged = options.package;
        return results(1);
      },
      async () => 'x',
      io().io,
      quiet,
    );
    expect(packaged).toBe(false);
    const refused = io();
    expect(
      await benchCommand(
        ['--fast'],
        async () => results(1),
        async () => 'x',
        refused.io,
        quiet,
      ),
    ).toBe(2);
    expect(refused.err.join('\n')).toMatch(/usage: npm run bench/);
  });

  it('shows its progress as a bar per phase', () => {
    expect(describeBenchProgress({ phase: 'cold start', done: 15, total: 30, detail: 'round 2/11' })).toBe(
      `cold start       [${'#'.repeat(15)}${'.'.repeat(15)}] 15/30 round 2/11`,
    );
  });
});
