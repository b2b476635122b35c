import { describe, expect, it } from 'vitest';
import {
  demoCommand,
  demoExitCode,
  figuresLine,
  parseDemoArguments,
  resultOf,
  summaryTable,
} from '../../../local/commands/demo-command.js';

describe('parseDemoArguments', () => {
  it('reads --start and --timeout-ms, with defaults', () => {
    expect(parseDemoArguments([])).toEqual({ start: false, timeoutMs: 30_000 });
    expect(parseDemoArguments(['--start', '--timeout-ms', '5000'])).toEqual({ start: true, timeoutMs: 5000 });
  });

  it('refuses unknown arguments and a bad timeout with exit 2, before touching any cloud', async () => {
    for (const argv of [['--nope'], ['positional'], ['--timeout-ms', '0']]) {
      const err: string[] = [];
      const code = await demoCommand(
        argv,
        {
          cloud: () => {
            throw new Error('no cloud expected');
          },
        },
        { out: () => undefined, err: (text) => err.push(text) },
      );
      expect(code).toBe(2);
      expect(err.at(-1)).toMatch(/^usage: npm run demo/);
    }
  });
});

describe('figuresLine and summaryTable', () => {
  it('print the pipeline figures and one aligned row per step', () => {
    expect(
      figuresLine({
        at: '2026-01-01T00:00:00.000Z',
        queues: [
          { name: 'work', role: 'queue', visible: 1, inFlight: 2 },
          { name: 'work-dlq', role: 'dlq', visible: 3, inFlight: 0 },
          { name: 'failures', role: 'failures', visible: 1, inFlight: 0 },
        ],
        stream: { name: 's', records: 9 },
        counters: { httpAccepted: 4, published: 5, notifications: 6 },
      }),
    ).toBe(
      '  · HTTP accepted 4, published 5, stream records 9, notifications 6; work in flight 2; DLQs/failures hold 4',
    );
    expect(
      summaryTable([
        { step: 'a', expected: 'x', observed: 'yy', pass: true },
        { step: 'bbb', expected: 'x', observed: 'z', pass: false },
      ]).split('\n'),
    ).toEqual([
      'step | expected | observed | result',
      'a    | x        | yy       | PASS',
      'bbb  | x        | z        | FAIL',
    ]);
  });
});

describe('a skipped step', () => {
  const passed = { step: 'a', expected: 'x', observed: 'y', pass: true };
  const failed = { step: 'b', expected: 'x', observed: 'z', pass: false };
  const skipped = { step: 'erp', expected: 'x', observed: 'skipped (no broker)', pass: false, skipped: true };

  it('shows as SKIP in the summary, never as PASS or FAIL', () => {
    expect(resultOf(skipped)).toBe('SKIP');
    expect(resultOf({ ...skipped, pass: true })).toBe('SKIP');
    expect(summaryTable([passed, skipped]).split('\n')).toEqual([
      'step | expected | observed            | result',
      'a    | x        | y                   | PASS',
      'erp  | x        | skipped (no broker) | SKIP',
    ]);
  });

  it('does not fail the demo; a failed step does, and so does a demo with nothing passed', () => {
    expect(demoExitCode([passed, skipped])).toBe(0);
    expect(demoExitCode([passed, skipped, failed])).toBe(1);
    expect(demoExitCode([skipped])).toBe(1);
    expect(demoExitCode([passed])).toBe(0);
  });
});
