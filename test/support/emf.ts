/**
 * The EMF lines Powertools Metrics writes to stdout, kept instead of printed: `emittedMetrics()` reads what the
 * handlers under test emitted since `clearMetrics()`, as metric sets with their namespace, dimensions and values.
 */

export interface EmittedMetricSet {
  namespace: string;
  dimensions: Record<string, string>;
  /** Metric name → value (a metric added several times in one set: its values). */
  values: Record<string, number | number[]>;
}

const emitted: EmittedMetricSet[] = [];

/** Called once per test file (setup): EMF lines go to `emitted`, everything else to stdout as before. */
export function tapMetrics(): void {
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    if (!text.startsWith('{"_aws"')) return write(chunk, ...rest);
    for (const line of text.split('\n')) if (line.trim() !== '') emitted.push(...metricSetsOf(line));
    const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
}

export function clearMetrics(): void {
  emitted.length = 0;
}

export function emittedMetrics(): EmittedMetricSet[] {
  return [...emitted];
}

/** The sum of one metric over every set emitted, optionally only the sets with these dimensions. */
export function metricTotal(name: string, dimensions: Record<string, string> = {}): number {
  return emitted
    .filter((set) => Object.entries(dimensions).every(([key, value]) => set.dimensions[key] === value))
    .flatMap((set) => [set.values[name] ?? []].flat())
    .reduce((sum, value) => sum + value, 0);
}

function metricSetsOf(line: string): EmittedMetricSet[] {
  const blob = JSON.parse(line) as Record<string, unknown> & {
    _aws: {
      CloudWatchMetrics: Array<{
        Namespace: string;
        Dimensions: string[][];
        Metrics: Array<{ Name: string }>;
      }>;
    };
  };
  return blob._aws.CloudWatchMetrics.map((directive) => ({
    namespace: directive.Namespace,
    dimensions: Object.fromEntries((directive.Dimensions[0] ?? []).map((name) => [name, String(blob[name])])),
    values: Object.fromEntries(directive.Metrics.map(({ Name }) => [Name, blob[Name] as number | number[]])),
  }));
}
