import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventSource, LocalResource } from '../template/model.js';
import type { EventSourceStats } from './event-source-stats.js';

/** An event source mapping as the monitor shows it. */
export interface MonitoredSource {
  /** `orderflow-local-fulfillment.fifo → orderflow-local-processOrder` */
  label: string;
  stats(): EventSourceStats;
  /** Where its records end up when they are given up on: the queue's DLQ, or a stream's on-failure queue. */
  deadLetters?: { name: string; queueUrl: string };
}

/** One source's figures over one interval, and where its DLQ stands. */
export interface SourceSnapshot {
  label: string;
  stats: EventSourceStats;
  deadLetters?: { name: string; depth: number };
}

/**
 * The status lines for one interval, or none when nothing went wrong in it: lines are printed while records fail,
 * are retried or reach a DLQ, so a quiet pipeline stays quiet and a stuck one explains itself. One line per
 * source: batches, records, failed records and retries in the interval, and the depth of its DLQ.
 */
export function statusLines(
  previous: readonly SourceSnapshot[],
  current: readonly SourceSnapshot[],
  intervalSeconds: number,
  { always = false }: { always?: boolean } = {},
): string[] {
  const rows = current.map((now) => {
    const before = previous.find((snapshot) => snapshot.label === now.label);
    const delta = (key: keyof EventSourceStats) => now.stats[key] - (before?.stats[key] ?? 0);
    return {
      now,
      batches: delta('batches'),
      records: delta('records'),
      failed: delta('failedRecords'),
      retried: delta('retries'),
      errors: delta('functionErrors'),
      deadLettersChanged: (now.deadLetters?.depth ?? 0) !== (before?.deadLetters?.depth ?? 0),
    };
  });
  const troubled = rows.some(
    (row) => row.failed > 0 || row.retried > 0 || row.errors > 0 || row.deadLettersChanged,
  );
  const busy = rows.some((row) => row.batches > 0);
  if (!troubled && !(always && busy)) return [];
  const width = Math.max(...rows.map((row) => row.now.label.length));
  return [
    `event sources, last ${intervalSeconds} s${always ? '' : ' (shown while records fail or are retried)'}:`,
    ...rows.map((row) => {
      const dlq = row.now.deadLetters;
      const parts = [
        `${row.batches} batches`,
        `${row.records} records`,
        `${row.failed} failed`,
        `${row.retried} retried`,
        ...(row.errors > 0 ? [`${row.errors} function errors`] : []),
        `${row.now.stats.inFlight} in flight`,
        ...(row.now.stats.pollers > 0 ? [`${row.now.stats.pollers} pollers`] : []),
        ...(dlq === undefined ? [] : [`${dlq.depth} in ${dlq.name}`]),
      ];
      return `  ${row.now.label.padEnd(width)}  ${parts.join(', ')}`;
    }),
  ];
}

export interface EventSourceMonitorOptions {
  sources: readonly MonitoredSource[];
  sqs: SQSClient;
  /** Default 5 s. */
  intervalMs?: number;
  /** Print the lines of every interval with deliveries, not only while records fail. */
  always?: boolean;
  print(line: string): void;
}

/** Every `intervalMs`, prints `statusLines` for the event sources (nothing while all is well). */
export function startEventSourceMonitor(options: EventSourceMonitorOptions): { stop(): void } {
  const intervalMs = options.intervalMs ?? 5_000;
  let previous: SourceSnapshot[] = [];
  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      const current = await Promise.all(options.sources.map((source) => snapshotOf(source, options.sqs)));
      for (const line of statusLines(previous, current, intervalMs / 1000, { always: options.always }))
        options.print(line);
      previous = current;
    } catch (error) {
      options.print(`event sources: could not read a DLQ's depth: ${String(error)}`);
    } finally {
      ticking = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function snapshotOf(source: MonitoredSource, sqs: SQSClient): Promise<SourceSnapshot> {
  const stats = source.stats();
  if (source.deadLetters === undefined) return { label: source.label, stats };
  return {
    label: source.label,
    stats,
    deadLetters: { name: source.deadLetters.name, depth: await depthOf(sqs, source.deadLetters.queueUrl) },
  };
}

/** Messages in a queue, visible or in flight. */
export async function depthOf(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * Where a source's given-up records go: an SQS queue's DLQ (its `RedrivePolicy`), or a stream mapping's on-failure
 * queue; named as the stack names them.
 */
export async function deadLettersOf(
  source: EventSource,
  resources: Record<string, LocalResource>,
  sqs: SQSClient,
): Promise<MonitoredSource['deadLetters']> {
  let arn: string | undefined;
  // A RabbitMQ queue's dead letters are the broker's own (its dead-letter exchange), not an SQS queue.
  if (source.kind === 'rabbitmq') return undefined;
  if (source.kind === 'kinesis') {
    arn = source.onFailure?.type === 'sqs' ? source.onFailure.arn : undefined;
  } else {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.queueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    const policy = Attributes.RedrivePolicy;
    arn =
      policy === undefined
        ? undefined
        : (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  }
  const queue = Object.values(resources).find(
    (resource) => resource.type === 'AWS::SQS::Queue' && resource.attributes.Arn === arn,
  );
  if (arn === undefined || queue === undefined) return undefined;
  return { name: queue.attributes.QueueName ?? arn.split(':').at(-1) ?? arn, queueUrl: queue.ref };
}
