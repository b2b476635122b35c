import { setTimeout as delay } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Invoke, InvokeOutcome } from '../runtime/types.js';
import type { SqsEventSource } from '../template/model.js';
import { type EventSourceStats, emptyStats } from './event-source-stats.js';
import { judgeBatchResponse, sqsRecordOf } from './lambda-events.js';

/** SQS returns at most ten messages per ReceiveMessage. */
const MAX_RECEIVE = 10;
/** SQS's longest long poll. */
const MAX_WAIT_SECONDS = 20;
const MAX_ERROR_BACKOFF_MS = 5_000;

export interface SqsPollerOptions {
  source: SqsEventSource;
  sqs: SQSClient;
  invoke: Invoke;
  region: string;
  /**
   * The most batches in flight at once (default 5): the function's concurrency limit, or the mapping's
   * `MaximumConcurrency` when lower. Group order in a FIFO queue does not depend on it: SQS hands out no message of
   * a group while another of that group is in flight, so concurrent pollers still see each group in order.
   */
  concurrency?: number;
  /** ReceiveMessage long-poll wait, 0–20 s (default 20, as Lambda). `stop()` aborts a pending poll. */
  waitTimeSeconds?: number;
  /** First pause after an SQS API error; it doubles per consecutive error up to 5 s (default 200 ms). */
  errorBackoffMs?: number;
  log?: (line: string) => void;
}

export interface Poller {
  /** Stops polling: aborts pending receives, lets an invocation in progress finish and settle, then resolves. */
  stop(): Promise<void>;
  /** What it delivered so far, for the local cloud's status lines. */
  stats(): EventSourceStats;
}

interface PollerContext {
  source: SqsEventSource;
  sqs: SQSClient;
  invoke: Invoke;
  region: string;
  waitTimeSeconds: number;
  errorBackoffMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
  stats: EventSourceStats;
}

/** Lambda starts five pollers per SQS queue and scales from there. */
const INITIAL_POLLERS = 5;

/**
 * Reproduces Lambda's SQS event source mapping: long-polls the queue, gathers up to `batchSize` messages (within
 * `maximumBatchingWindowSeconds`), invokes the function with `{ Records }` shaped as Lambda's, then deletes what
 * succeeded — everything on success; all but the reported `batchItemFailures` with `ReportBatchItemFailures`;
 * nothing after a function error, so the messages reappear after the visibility timeout and the queue's own
 * redrive policy moves them to its DLQ after `maxReceiveCount`. SQS API errors are logged and retried.
 *
 * It scales like Lambda's pollers: five long-poll the queue; while every poller is busy invoking and messages keep
 * coming, another one starts (up to `concurrency`); a poller whose receive comes back empty stops again, down to
 * five. In a FIFO queue only the heads of the message groups not in flight can be received, so the pollers that
 * find work — and so the invocations in flight — follow the number of groups with messages waiting.
 */
export function startSqsPoller(options: SqsPollerOptions): Poller {
  const stats = emptyStats();
  if (!options.source.enabled) return { stop: async () => undefined, stats: () => ({ ...stats }) };
  const controller = new AbortController();
  const context: PollerContext = {
    source: options.source,
    sqs: options.sqs,
    invoke: options.invoke,
    region: options.region,
    waitTimeSeconds: Math.min(Math.max(options.waitTimeSeconds ?? MAX_WAIT_SECONDS, 0), MAX_WAIT_SECONDS),
    errorBackoffMs: options.errorBackoffMs ?? 200,
    log: options.log ?? ((line) => console.error(line)),
    signal: controller.signal,
    stats,
  };
  const maximum = Math.max(1, options.concurrency ?? INITIAL_POLLERS);
  const minimum = Math.min(INITIAL_POLLERS, maximum);
  const pollers = new Set<Promise<void>>();
  let receiving = 0;
  const scaling: PollerScaling = {
    receiving: (delta) => {
      receiving += delta;
    },
    /** A poller got messages: when no other poller is free to receive, the backlog asks for one more. */
    gotMessages: () => {
      if (receiving === 0 && pollers.size < maximum && !controller.signal.aborted) addPoller();
    },
    /** A poller found the queue empty: it stops unless it is one of the first five. */
    mayStop: () => pollers.size > minimum,
  };
  const addPoller = () => {
    const poller: Promise<void> = runPoller(context, scaling).finally(() => {
      pollers.delete(poller);
      stats.pollers = pollers.size;
    });
    pollers.add(poller);
    stats.pollers = pollers.size;
  };
  for (let started = 0; started < minimum; started += 1) addPoller();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        controller.abort();
        while (pollers.size > 0) await Promise.all([...pollers]);
      })();
      return stopped;
    },
    stats: () => ({ ...stats }),
  };
}

interface PollerScaling {
  receiving(delta: 1 | -1): void;
  gotMessages(): void;
  mayStop(): boolean;
}

async function runPoller(context: PollerContext, scaling: PollerScaling): Promise<void> {
  let backoffMs = context.errorBackoffMs;
  while (!context.signal.aborted) {
    try {
      scaling.receiving(1);
      let messages: Message[];
      try {
        messages = await receiveBatch(context);
      } finally {
        scaling.receiving(-1);
      }
      backoffMs = context.errorBackoffMs;
      if (messages.length > 0) {
        scaling.gotMessages();
        await deliver(context, messages);
      } else if (scaling.mayStop()) {
        return;
      } else if (context.waitTimeSeconds === 0) {
        await pause(100, context.signal);
      }
    } catch (error) {
      if (context.signal.aborted) break;
      context.log(`${describeSource(context.source)}: ${describeError(error)}; retrying in ${backoffMs} ms`);
      await pause(backoffMs, context.signal);
      backoffMs = Math.min(backoffMs * 2, MAX_ERROR_BACKOFF_MS);
    }
  }
}

/**
 * One long poll, then — while the batch is not full — more receives: without a batching window only as long
 * as messages are waiting (WaitTimeSeconds 0), with one until the window has passed.
 */
async function receiveBatch(context: PollerContext): Promise<Message[]> {
  const { batchSize, maximumBatchingWindowSeconds } = context.source;
  const batch = await receive(context, batchSize, context.waitTimeSeconds);
  if (batch.length === 0) return batch;
  const deadline = Date.now() + maximumBatchingWindowSeconds * 1000;
  while (batch.length < batchSize && !context.signal.aborted) {
    const waitSeconds = Math.min(Math.floor((deadline - Date.now()) / 1000), MAX_WAIT_SECONDS);
    const more = await receive(context, batchSize - batch.length, Math.max(waitSeconds, 0));
    batch.push(...more);
    if (more.length === 0 && waitSeconds <= 0) break;
  }
  return batch;
}

async function receive(context: PollerContext, wanted: number, waitSeconds: number): Promise<Message[]> {
  const response = await context.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: context.source.queueUrl,
      MaxNumberOfMessages: Math.min(wanted, MAX_RECEIVE),
      WaitTimeSeconds: waitSeconds,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
    { abortSignal: context.signal },
  );
  return response.Messages ?? [];
}

async function deliver(context: PollerContext, messages: readonly Message[]): Promise<void> {
  const origin = { queueArn: context.source.queueArn, region: context.region };
  const event: SQSEvent = { Records: messages.map((message) => sqsRecordOf(message, origin)) };
  const { stats } = context;
  stats.batches += 1;
  stats.records += event.Records.length;
  stats.retries += event.Records.filter(
    (record) => Number(record.attributes.ApproximateReceiveCount) > 1,
  ).length;
  stats.inFlight += 1;
  const outcome = await invokeSafely(context, event).finally(() => {
    stats.inFlight -= 1;
  });
  const settled = recordsToDelete(outcome, event.Records, context.source.reportBatchItemFailures);
  if (outcome.status === 'error') stats.functionErrors += 1;
  stats.failedRecords += event.Records.length - settled.records.length;
  if (settled.reason !== undefined) context.log(`${describeSource(context.source)}: ${settled.reason}`);
  await deleteRecords(context, settled.records);
}

/** Which records of an invoked batch Lambda deletes, and why it keeps the others (for the log). */
function recordsToDelete(
  outcome: InvokeOutcome,
  records: readonly SQSRecord[],
  reportBatchItemFailures: boolean,
): { records: readonly SQSRecord[]; reason?: string } {
  if (outcome.status === 'error') {
    return { records: [], reason: `function error ${outcome.errorType}: ${outcome.errorMessage}` };
  }
  if (!reportBatchItemFailures) return { records };
  const verdict = judgeBatchResponse(
    outcome.result,
    records.map((record) => record.messageId),
  );
  switch (verdict.kind) {
    case 'all-succeeded':
      return { records };
    case 'all-failed':
      return { records: [], reason: `the whole batch failed: ${verdict.reason}` };
    case 'some-failed':
      return { records: records.filter((record) => !verdict.failedIds.has(record.messageId)) };
  }
}

async function deleteRecords(context: PollerContext, records: readonly SQSRecord[]): Promise<void> {
  for (let start = 0; start < records.length; start += MAX_RECEIVE) {
    const chunk = records.slice(start, start + MAX_RECEIVE);
    try {
      const response = await context.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: context.source.queueUrl,
          Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      for (const failed of response.Failed ?? []) {
        context.log(
          `${describeSource(context.source)}: could not delete a message: ${failed.Code} ${failed.Message}`,
        );
      }
    } catch (error) {
      // Not fatal: the messages come back after their visibility timeout, as they would in AWS.
      context.log(`${describeSource(context.source)}: DeleteMessageBatch failed: ${describeError(error)}`);
    }
  }
}

/** The runtime reports function errors as outcomes; a rejection means the runtime itself failed — same effect. */
async function invokeSafely(context: PollerContext, event: SQSEvent): Promise<InvokeOutcome> {
  try {
    return await context.invoke(event);
  } catch (error) {
    return { status: 'error', errorType: 'Runtime.InvokeFailed', errorMessage: describeError(error) };
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

function describeSource(source: SqsEventSource): string {
  return `sqs poller ${source.logicalId} (${source.functionName})`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
