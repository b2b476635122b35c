import { parseArgs } from 'node:util';
import { ORDER_ID_PATTERN } from '../../shared/core/order-schema.js';
import type { FunctionLogEntry } from '../logs/function-log.js';
import { formatTraceLine, traceOf } from '../logs/trace.js';
import { type CommandIo, EXIT, runCommand, UsageError } from './command.js';

export const TRACE_USAGE = 'npm run trace -- <orderId> [--json]';

/**
 * `npm run trace -- <orderId>`: every log line of the order across all functions of the running local cloud, in
 * time order (one per line; `--json`: the structured lines as they were logged). Exit 1 when there is none.
 */
export async function traceCommand(
  argv: readonly string[],
  readLog: () => Promise<FunctionLogEntry[]>,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'trace',
    TRACE_USAGE,
    io,
    async () => {
      const { orderId, json } = parseTraceArguments(argv);
      const lines = traceOf(await readLog(), orderId);
      if (lines.length === 0) {
        io.err(`trace: no log line names order ${orderId} (was it placed on this run of npm start?)`);
        return EXIT.failed;
      }
      for (const line of lines)
        io.out(json ? JSON.stringify({ function: line.fn, ...line.fields }) : formatTraceLine(line));
      return EXIT.ok;
    },
    () => undefined,
  );
}

export function parseTraceArguments(argv: readonly string[]): { orderId: string; json: boolean } {
  let parsed: { values: { json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const [orderId, ...rest] = parsed.positionals;
  if (orderId === undefined) throw new UsageError('the order id is required');
  if (rest.length > 0) throw new UsageError(`one order id at a time (got ${parsed.positionals.length})`);
  if (!ORDER_ID_PATTERN.test(orderId)) throw new UsageError(`${JSON.stringify(orderId)} is not an order id`);
  return { orderId, json: parsed.values.json === true };
}
