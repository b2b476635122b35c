/**
 * A function's console line as `npm start` prints it: an Embedded Metric Format blob (Powertools Metrics' JSON with
 * `_aws.CloudWatchMetrics`) becomes one readable line per metric set,
 * `metrics orderflow {service=orderflow, stage=local}: OrdersPlaced=1 Count`; every other line is left as it is.
 */
export function readableLine(line: string): string {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return line;
  let blob: Record<string, unknown>;
  try {
    blob = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const aws = blob._aws as { CloudWatchMetrics?: unknown } | undefined;
  if (!Array.isArray(aws?.CloudWatchMetrics)) return line;
  return aws.CloudWatchMetrics.map((directive: unknown) => {
    const { Namespace, Dimensions, Metrics } = directive as {
      Namespace?: string;
      Dimensions?: string[][];
      Metrics?: Array<{ Name: string; Unit?: string }>;
    };
    const dimensions = (Dimensions?.[0] ?? []).map((name) => `${name}=${String(blob[name])}`).join(', ');
    const metrics = (Metrics ?? [])
      .map(
        ({ Name, Unit }) =>
          `${Name}=${JSON.stringify(blob[Name])}${Unit && Unit !== 'None' ? ` ${Unit}` : ''}`,
      )
      .join(' ');
    return `metrics ${Namespace ?? '?'} {${dimensions}}: ${metrics}`;
  }).join('\n');
}
