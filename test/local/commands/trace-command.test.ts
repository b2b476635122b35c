import { describe, expect, it } from 'vitest';
import { traceCommand } from '../../../local/commands/trace-command.js';
import type { FunctionLogEntry } from '../../../local/logs/function-log.js';
import { capturedIo } from '../../support/command-harness.js';

const ORDER = '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b';

const log: FunctionLogEntry[] = [
  {
    fn: 'orderflow-local-createOrder',
    at: 1,
    line: JSON.stringify({
      level: 'INFO',
      message: 'Request answered',
      orderId: ORDER,
      correlationId: 'demo-1',
      timestamp: '2026-12-02T10:00:01.000Z',
    }),
  },
];

describe('npm run trace', () => {
  it('prints the order’s lines, one per line', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await traceCommand([ORDER], async () => log, io);

    // Assess
    expect(code).toBe(0);
    expect(io.stdout).toEqual([
      '10:00:01.000  createOrder          INFO   Request answered  correlationId=demo-1',
    ]);
  });

  it('prints the structured lines with --json', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await traceCommand([ORDER, '--json'], async () => log, io);

    // Assess
    expect(code).toBe(0);
    expect(io.stdout.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        function: 'createOrder',
        message: 'Request answered',
        correlationId: 'demo-1',
      }),
    ]);
  });

  it('says so with exit code 1 when no line names the order', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await traceCommand(['00000000-0000-4000-8000-000000000000'], async () => log, io);

    // Assess
    expect(code).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr[0]).toContain('no log line names order 00000000-0000-4000-8000-000000000000');
  });

  it.each([[[]], [['a/b']], [[ORDER, ORDER]], [[ORDER, '--verbose']]])(
    'refuses %j with the usage',
    async (argv) => {
      // Prepare
      const io = capturedIo();

      // Act
      const code = await traceCommand(argv, async () => log, io);

      // Assess
      expect(code).toBe(2);
      expect(io.stderr.at(-1)).toBe('usage: npm run trace -- <orderId> [--json]');
    },
  );
});
