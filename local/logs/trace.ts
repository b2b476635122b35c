import type { FunctionLogEntry } from './function-log.js';

/** A structured log line of one order, as `npm run trace` prints it. */
export interface TraceLine {
  /** The function's name in serverless.yml (`createOrder`), from its deployed name. */
  fn: string;
  /** Powertools' `timestamp`, or when the line arrived. */
  timestamp: string;
  level: string;
  message: string;
  correlationId: string | undefined;
  /** The whole structured line. */
  fields: Record<string, unknown>;
}

/**
 * Every structured (JSON) line about `orderId`, across all functions, in time order: the lines that name the order,
 * and the lines that name a correlation id of those (a request's lines before it knew the order id). Lines of the
 * same millisecond keep the order they were written in.
 */
export function traceOf(entries: readonly FunctionLogEntry[], orderId: string): TraceLine[] {
  const parsed = entries.flatMap((entry, position) => {
    const fields = parseObject(entry.line);
    return fields === undefined ? [] : [{ entry, position, fields }];
  });
  const correlationIds = new Set(
    parsed
      .filter(({ fields }) => fields.orderId === orderId && typeof fields.correlationId === 'string')
      .map(({ fields }) => fields.correlationId as string),
  );
  return parsed
    .filter(
      ({ fields }) =>
        fields.orderId === orderId ||
        (fields.orderId === undefined && correlationIds.has(fields.correlationId as string)),
    )
    .map(({ entry, position, fields }) => ({ position, line: toTraceLine(entry, fields) }))
    .sort((a, b) => a.line.timestamp.localeCompare(b.line.timestamp) || a.position - b.position)
    .map(({ line }) => line);
}

/** `10:30:00.123  processOrder        INFO   Event applied  correlationId=demo-1 seq=2`. */
export function formatTraceLine(line: TraceLine): string {
  const time = line.timestamp.slice(11, 23);
  const extras = ['correlationId', 'seq', 'status', 'statuses', 'reason']
    .filter((key) => line.fields[key] !== undefined)
    .map((key) => `${key}=${formatValue(line.fields[key])}`);
  return [time, line.fn.padEnd(19), line.level.padEnd(5), line.message, ...extras].join('  ');
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function toTraceLine(entry: FunctionLogEntry, fields: Record<string, unknown>): TraceLine {
  return {
    fn: entry.fn.split('-').at(-1) ?? entry.fn,
    timestamp: typeof fields.timestamp === 'string' ? fields.timestamp : new Date(entry.at).toISOString(),
    level: typeof fields.level === 'string' ? fields.level : 'INFO',
    message: typeof fields.message === 'string' ? fields.message : '',
    correlationId: typeof fields.correlationId === 'string' ? fields.correlationId : undefined,
    fields,
  };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
