import { describe, expect, it } from 'vitest';
import { type ChaosReport, emptyFaultCounts } from '../../../local/chaos/chaos-report.js';
import {
  type ChaosArguments,
  chaosCommand,
  chaosProgressBar,
  DEFAULT_FAULT_RATE,
  parseChaosArguments,
} from '../../../local/commands/chaos-command.js';
import { failureList } from '../../../local/load/verdicts.js';
import { NO_FIGURES } from '../../../shared/core/analytics.js';
import { capturedIo } from '../../support/command-harness.js';

const quiet = { isTTY: false, write: () => {} };

/** A report of a run where everything held; a test spoils the part it is about. */
function cleanReport(overrides: Partial<ChaosReport> = {}): ChaosReport {
  const none = failureList([]);
  const statuses = {
    messages: 6,
    repeated: 0,
    incomplete: none,
    outOfOrder: none,
    unexpected: none,
    replayed: 0,
    staleRepeats: 0,
  };
  return {
    runId: 'abcdefgh',
    seed: 7,
    orders: 2,
    faultRate: 0.2,
    concurrency: 2,
    faults: { ...emptyFaultCounts(), 'sdk-throttling': 3 },
    http: {
      accepted: 2,
      answers: { 201: 2, 202: 2, 503: 3 },
      retries: 3,
      ambiguous: 0,
      appliedThoughRefused: { keyed: 0, unkeyed: 0 },
      unsettled: none,
    },
    judged: 2,
    lost: none,
    createdTwice: none,
    ghosts: none,
    extraOrders: 0,
    stream: { records: 6, repeated: 0, missing: none, duplicated: none, unexpected: none },
    statuses,
    analytics: { expected: NO_FIGURES, actual: NO_FIGURES, mismatched: none },
    recovery: {
      passes: 1,
      redriven: 0,
      replayedRanges: 0,
      failedRanges: 0,
      parked: [],
      waitedMs: 10,
      timedOut: false,
    },
    deadLetters: [{ name: 'orderflow-local-fulfillment-dlq.fifo', kind: 'queue-dlq', before: 0, after: 0 }],
    seconds: 1,
    ...overrides,
  };
}

describe('npm run chaos: the command line', () => {
  it('takes the orders, the fault rate, the seed and the rest, with defaults for what is left out', () => {
    // Act
    const options = parseChaosArguments([
      '--orders',
      '10000',
      '--fault-rate',
      '0.3',
      '--seed',
      '42',
      '--no-package',
    ]);
    const defaults = parseChaosArguments(['--orders', '5']);

    // Assess
    expect(options).toMatchObject({ orders: 10_000, faultRate: 0.3, seed: 42, package: false, json: false });
    expect(defaults).toMatchObject({ orders: 5, faultRate: DEFAULT_FAULT_RATE, package: true });
    expect(defaults.seed).toBeUndefined();
  });

  it.each([
    [[], '--orders says how many orders to place'],
    [['--orders', '0'], '--orders must be a whole number'],
    [['--orders', '10', '--fault-rate', '2'], '--fault-rate must be a number from 0 to 1'],
    [['--orders', '10', '--fault-rate', ''], '--fault-rate must be a number from 0 to 1'],
    [['--orders', '10', '--seed=-1'], '--seed must be a whole number'],
    [['--orders', '10', '--seed', 'x'], '--seed must be a whole number'],
    [['--orders', '10', '--frobnicate'], 'frobnicate'],
  ])('refuses %j with exit code 2 and the usage line, before starting anything', async (argv, message) => {
    // Prepare
    const io = capturedIo();
    let started = false;

    // Act
    const code = await chaosCommand(
      argv,
      async () => {
        started = true;
        throw new Error('must not start');
      },
      io,
      quiet,
    );

    // Assess
    expect(code).toBe(2);
    expect(started).toBe(false);
    expect(io.stderr.join('\n')).toContain(message);
    expect(io.stderr.at(-1)).toMatch(/^usage: npm run chaos -- --orders N/);
  });

  it('runs with a fresh seed when none is given, and prints it so the run can be repeated', async () => {
    // Prepare
    const io = capturedIo();
    let given: (ChaosArguments & { seed: number }) | undefined;

    // Act
    const code = await chaosCommand(
      ['--orders', '2'],
      async (options) => {
        given = options;
        return cleanReport({ seed: options.seed });
      },
      io,
      quiet,
      () => 1234,
    );

    // Assess
    expect(code).toBe(0);
    expect(given?.seed).toBe(1234);
    expect(io.stdout[0]).toContain('seed 1234');
    expect(io.stdout.filter((line) => line.startsWith('PASS'))).toHaveLength(9);
  });

  it.each([
    [
      'an order lost',
      { lost: failureList([{ orderId: 'o-1', expected: 'FULFILLED v3', actual: 'PAID v2' }]) },
    ],
    [
      'a ghost order',
      {
        ghosts: failureList([
          { orderId: 'o-9', customerId: 'c', statuses: 'PLACED#1', why: 'not in the orders table' },
        ]),
      },
    ],
    [
      'a DLQ left non-empty',
      {
        deadLetters: [
          { name: 'orderflow-local-review-dlq.fifo', kind: 'queue-dlq' as const, before: 0, after: 1 },
        ],
      },
    ],
    [
      'a message parked',
      {
        recovery: {
          ...cleanReport().recovery,
          parked: [{ queue: 'fulfillment', messageId: 'm-1', groupId: 'o-1', reason: 'redriven 3 times' }],
        },
      },
    ],
  ])('exits 1 when a verdict fails: %s', async (_, spoiled) => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await chaosCommand(
      ['--orders', '2', '--seed', '1'],
      async () => cleanReport(spoiled),
      io,
      quiet,
    );

    // Assess
    expect(code).toBe(1);
    expect(io.stdout.some((line) => line.startsWith('FAIL'))).toBe(true);
  });

  it('exits 1 with the reason when the run cannot be made', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await chaosCommand(
      ['--orders', '2', '--seed', '1'],
      async () => {
        throw new Error('No packaged stack in .local-cloud/chaos-package');
      },
      io,
      quiet,
    );

    // Assess
    expect(code).toBe(1);
    expect(io.stderr[0]).toBe('chaos: No packaged stack in .local-cloud/chaos-package');
  });

  it('prints the whole report and its verdicts as JSON with --json', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    await chaosCommand(['--orders', '2', '--seed', '1', '--json'], async () => cleanReport(), io, quiet);

    // Assess
    const printed = JSON.parse(io.stdout.join('\n')) as {
      verdicts: Array<{ holds: boolean }>;
      faults: object;
    };
    expect(printed.verdicts.every((verdict) => verdict.holds)).toBe(true);
    expect(printed.faults).toMatchObject({ 'sdk-throttling': 3 });
  });
});

describe('npm run chaos: the progress bar', () => {
  it('shows the faulty phase, then the recovery, on one redrawn line per phase on a terminal', () => {
    // Prepare
    const written: string[] = [];
    const bar = chaosProgressBar({ isTTY: true, write: (text) => written.push(text) });

    // Act
    bar.update({ phase: 'placing', placed: 2, done: 2, total: 2 });
    bar.update({ phase: 'recovering', settled: 1, total: 2, pass: 1 });
    bar.end();

    // Assess
    expect(written.join('')).toBe(
      `\rfaults on   [${'#'.repeat(30)}] placed 2/2, settled 2/2\n` +
        `\rrecovering  [${'#'.repeat(15)}${'.'.repeat(15)}] settled 1/2 (pass 1)\n`,
    );
  });
});
