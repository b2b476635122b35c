import { readdirSync, readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2, KinesisStreamEvent, SQSEvent } from 'aws-lambda';

/** The sample events in `events/`, the ones `serverless invoke local` sends, parsed. */
function sampleEvent(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
}

/** A sample SQS event of `events/`, e.g. `process-order.json`. */
export function sqsSample(name: string): SQSEvent {
  return sampleEvent(name) as SQSEvent;
}

/** A sample Kinesis event of `events/`, e.g. `aggregate-analytics.json`. */
export function kinesisSample(name: string): KinesisStreamEvent {
  return sampleEvent(name) as KinesisStreamEvent;
}

/** Every sample HTTP API event of `events/` (those with a `routeKey`), by file name. */
export function httpSamples(): Array<[string, APIGatewayProxyEventV2]> {
  return readdirSync(new URL('../../events/', import.meta.url))
    .filter((name) => name.endsWith('.json'))
    .map((name): [string, unknown] => [name, sampleEvent(name)])
    .filter((entry): entry is [string, APIGatewayProxyEventV2] => {
      const event = entry[1] as { routeKey?: unknown };
      return typeof event.routeKey === 'string';
    });
}
