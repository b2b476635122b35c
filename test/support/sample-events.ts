import { readFileSync } from 'node:fs';
import type { KinesisStreamEvent, SQSEvent } from 'aws-lambda';

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
