import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type _Record as KinesisSdkRecord,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { Invoke, InvokeOutcome } from '../runtime/types.js';
import type { KinesisEventSource } from '../template/model.js';
import { type EventSourceStats, emptyStats } from './event-source-stats.js';
import {
  accountOfArn,
  arrivalOf,
  judgeBatchResponse,
  kinesisFailureRecordOf,
  kinesisRecordOf,
  type StreamFailureCondition,
} from './lambda-events.js';
import type { Poller } from './sqs-poller.js';

const MAX_ERROR_BACKOFF_MS = 5_000;
const MAX_RETRY_DELAY_MS = 10_000;
const DESTINATION_ATTEMPTS = 5;

export interface KinesisPollerOptions {
  source: KinesisEventSource;
  kinesis: KinesisClient;
  /** For an SQS on-failure destination. */
  sqs: SQSClient;
  /** For an SNS on-failure destination. */
  sns: SNSClient;
  invoke: Invoke;
  region: string;
  /** Pause after a GetRecords that returned nothing (default 100 ms). */
  idleDelayMs?: number;
  /** Pause before the first retry of a failed batch; it doubles per retry up to 10 s (default 500 ms). */
  retryDelayMs?: number;
  /** First pause after a Kinesis API error; it doubles up to 5 s (default 200 ms). */
  errorBackoffMs?: number;
  /** `requestContext.functionArn` of failure records (default: built from the stream's account and region). */
  functionArn?: string;
  /** `invokeIdentityArn` of every record: the function's role (default: a role named after the function). */
  invokeIdentityArn?: string;
  /** The clock that decides record age (default `Date.now`). */
  now?: () => number;
  log?: (line: string) => void;
}

interface ShardContext {
  source: KinesisEventSource;
  options: KinesisPollerOptions;
  shardId: string;
  functionArn: string;
  invokeIdentityArn: string;
  idleDelayMs: number;
  retryDelayMs: number;
  errorBackoffMs: number;
  now: () => number;
  log: (line: string) => void;
  signal: AbortSignal;
  stats: EventSourceStats;
}

/** Where to (re)open a shard iterator: the mapping's starting position, or after the last settled record. */
type ShardPosition = { type: 'start' } | { type: 'after'; sequenceNumber: string };

/** How often a batch and its ancestors (before a bisect or a checkpoint) have been tried. */
interface Tries {
  invocations: number;
  retries: number;
  /** Whether the last of those invocations ended in a function error. */
  lastErrored: boolean;
}

/**
 * Reproduces Lambda's Kinesis event source mapping, one loop per shard in shard order: reads up to `batchSize`
 * records from `startingPosition` (within `maximumBatchingWindowSeconds`), invokes the function with `{ Records }`
 * shaped as Lambda's, and checkpoints. A failed batch is retried — from the lowest reported sequence number
 * with `ReportBatchItemFailures`, or halved first with `bisectBatchOnFunctionError` (halving does not count as
 * a retry) — until `maximumRetryAttempts` or `maximumRecordAgeSeconds`; then the records are skipped and, with
 * an on-failure destination, one failure record naming them goes to SQS or SNS.
 *
 * Not emulated: ParallelizationFactor (one batch per shard at a time), tumbling windows, enhanced fan-out,
 * filter criteria, resharding (shards are listed once at start; a closed shard's children are not followed),
 * checkpoints that survive a restart (a new poller starts again from `startingPosition`), and a retried
 * batch after a partial failure is the rest of the same batch rather than a fresh read from the checkpoint.
 */
export function startKinesisPoller(options: KinesisPollerOptions): Poller {
  const { source } = options;
  const stats = emptyStats();
  if (!source.enabled) return { stop: async () => undefined, stats: () => ({ ...stats }) };
  const controller = new AbortController();
  const log = options.log ?? ((line: string) => console.error(line));
  const account = accountOfArn(source.streamArn);
  const base = {
    source,
    options,
    functionArn:
      options.functionArn ?? `arn:aws:lambda:${options.region}:${account}:function:${source.functionName}`,
    invokeIdentityArn:
      options.invokeIdentityArn ?? `arn:aws:iam::${account}:role/${source.functionName}-role`,
    idleDelayMs: options.idleDelayMs ?? 100,
    retryDelayMs: options.retryDelayMs ?? 500,
    errorBackoffMs: options.errorBackoffMs ?? 200,
    now: options.now ?? Date.now,
    log,
    signal: controller.signal,
    stats,
  };
  const running = (async () => {
    const shardIds = await listShardsPatiently(base);
    stats.pollers = shardIds.length;
    await Promise.all(shardIds.map((shardId) => pollShard({ ...base, shardId })));
  })();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        controller.abort();
        await running;
      })();
      return stopped;
    },
    stats: () => ({ ...stats }),
  };
}

/** ListShards (by stream name: kinesalite ignores StreamARN), retried until the stream exists or the poller stops. */
async function listShardsPatiently(context: Omit<ShardContext, 'shardId'>): Promise<string[]> {
  let backoffMs = context.errorBackoffMs;
  while (!context.signal.aborted) {
    try {
      const shardIds: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await context.options.kinesis.send(
          new ListShardsCommand(
            nextToken === undefined ? { StreamName: context.source.streamName } : { NextToken: nextToken },
          ),
          { abortSignal: context.signal },
        );
        for (const shard of page.Shards ?? []) if (shard.ShardId !== undefined) shardIds.push(shard.ShardId);
        nextToken = page.NextToken;
      } while (nextToken !== undefined);
      return shardIds;
    } catch (error) {
      if (context.signal.aborted) break;
      context.log(
        `${describeSource(context.source)}: ListShards: ${describeError(error)}; retrying in ${backoffMs} ms`,
      );
      await pause(backoffMs, context.signal);
      backoffMs = Math.min(backoffMs * 2, MAX_ERROR_BACKOFF_MS);
    }
  }
  return [];
}

async function pollShard(context: ShardContext): Promise<void> {
  let position: ShardPosition = { type: 'start' };
  let iterator: string | undefined;
  let backoffMs = context.errorBackoffMs;
  while (!context.signal.aborted) {
    try {
      iterator ??= await openIterator(context, position);
      const read = await readBatch(context, iterator);
      backoffMs = context.errorBackoffMs;
      iterator = read.nextIterator;
      const last = read.records[read.records.length - 1];
      if (last !== undefined) {
        await settleBatch(context, read.records, { invocations: 0, retries: 0, lastErrored: false });
        if (context.signal.aborted) return;
        position = { type: 'after', sequenceNumber: last.SequenceNumber ?? '' };
      }
      if (iterator === undefined) return; // the shard is closed and read to its end
      if (last === undefined) await pause(context.idleDelayMs, context.signal);
    } catch (error) {
      if (context.signal.aborted) return;
      context.log(`${describeShard(context)}: ${describeError(error)}; retrying in ${backoffMs} ms`);
      iterator = undefined; // reopen after the last settled record (covers an expired iterator)
      await pause(backoffMs, context.signal);
      backoffMs = Math.min(backoffMs * 2, MAX_ERROR_BACKOFF_MS);
    }
  }
}

async function openIterator(context: ShardContext, position: ShardPosition): Promise<string | undefined> {
  const { source } = context;
  const common = { StreamName: source.streamName, ShardId: context.shardId };
  const input: GetShardIteratorCommandInput =
    position.type === 'after'
      ? {
          ...common,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          StartingSequenceNumber: position.sequenceNumber,
        }
      : source.startingPosition === 'AT_TIMESTAMP'
        ? {
            ...common,
            ShardIteratorType: 'AT_TIMESTAMP',
            Timestamp: source.startingPositionTimestamp ?? new Date(),
          }
        : { ...common, ShardIteratorType: source.startingPosition };
  const response = await context.options.kinesis.send(new GetShardIteratorCommand(input), {
    abortSignal: context.signal,
  });
  return response.ShardIterator;
}

/**
 * One GetRecords of up to `batchSize`; with a batching window, further reads until the batch is full or the
 * window (opened by the first record) has passed.
 */
async function readBatch(
  context: ShardContext,
  iterator: string | undefined,
): Promise<{ records: KinesisSdkRecord[]; nextIterator: string | undefined }> {
  const { batchSize, maximumBatchingWindowSeconds } = context.source;
  const records: KinesisSdkRecord[] = [];
  let nextIterator = iterator;
  let deadline: number | undefined;
  while (nextIterator !== undefined && records.length < batchSize && !context.signal.aborted) {
    const response = await context.options.kinesis.send(
      new GetRecordsCommand({ ShardIterator: nextIterator, Limit: batchSize - records.length }),
      { abortSignal: context.signal },
    );
    nextIterator = response.NextShardIterator;
    const got = response.Records ?? [];
    records.push(...got);
    if (records.length === 0) break;
    deadline ??= Date.now() + maximumBatchingWindowSeconds * 1000;
    if (Date.now() >= deadline) break;
    if (got.length === 0) await pause(context.idleDelayMs, context.signal);
  }
  return { records, nextIterator };
}

/**
 * Invokes the function with `records` until they are all settled — processed, or given up on — or the poller
 * stops. Returns without settling only on stop (the checkpoint then stays before these records).
 */
async function settleBatch(
  context: ShardContext,
  records: readonly KinesisSdkRecord[],
  tries: Tries,
): Promise<void> {
  const { source } = context;
  let batch = records;
  let { invocations, retries, lastErrored } = tries;
  while (!context.signal.aborted) {
    const fresh = withoutExpired(context, batch);
    if (fresh.length < batch.length) {
      await discard(
        context,
        batch.slice(0, batch.length - fresh.length),
        'RecordAgeExceeded',
        invocations,
        lastErrored,
      );
      batch = fresh;
    }
    if (batch.length === 0) return;

    const { stats } = context;
    stats.batches += 1;
    stats.records += batch.length;
    if (invocations > 0) stats.retries += batch.length;
    stats.inFlight += 1;
    const outcome = await invokeSafely(context, batch).finally(() => {
      stats.inFlight -= 1;
    });
    invocations += 1;
    const failure = failureOf(outcome, batch, source.reportBatchItemFailures);
    if (failure === undefined) return;
    if (failure.functionError) stats.functionErrors += 1;
    stats.failedRecords += batch.length - failure.fromIndex;
    if (failure.log !== undefined) context.log(`${describeShard(context)}: ${failure.log}`);
    lastErrored = failure.functionError;

    const remaining = batch.slice(failure.fromIndex);
    if (failure.wholeBatch && source.bisectBatchOnFunctionError && remaining.length > 1) {
      const half = Math.ceil(remaining.length / 2);
      await settleBatch(context, remaining.slice(0, half), { invocations, retries, lastErrored });
      await settleBatch(context, remaining.slice(half), { invocations, retries, lastErrored });
      return;
    }
    // A checkpoint that moved forward starts a new batch, with its own retry budget.
    if (failure.fromIndex > 0) retries = 0;
    if (source.maximumRetryAttempts !== -1 && retries >= source.maximumRetryAttempts) {
      await discard(context, remaining, 'RetryAttemptsExhausted', invocations, lastErrored);
      return;
    }
    retries += 1;
    batch = remaining;
    await pause(Math.min(context.retryDelayMs * 2 ** (retries - 1), MAX_RETRY_DELAY_MS), context.signal);
  }
}

interface BatchFailure {
  /** The first record to retry: the lowest reported failure, or 0 when the whole batch failed. */
  fromIndex: number;
  wholeBatch: boolean;
  functionError: boolean;
  log?: string;
}

function failureOf(
  outcome: InvokeOutcome,
  batch: readonly KinesisSdkRecord[],
  reportBatchItemFailures: boolean,
): BatchFailure | undefined {
  if (outcome.status === 'error') {
    return {
      fromIndex: 0,
      wholeBatch: true,
      functionError: true,
      log: `function error ${outcome.errorType}: ${outcome.errorMessage}`,
    };
  }
  if (!reportBatchItemFailures) return undefined;
  const sequenceNumbers = batch.map((record) => record.SequenceNumber ?? '');
  const verdict = judgeBatchResponse(outcome.result, sequenceNumbers);
  switch (verdict.kind) {
    case 'all-succeeded':
      return undefined;
    case 'all-failed':
      return {
        fromIndex: 0,
        wholeBatch: true,
        functionError: false,
        log: `the whole batch failed: ${verdict.reason}`,
      };
    case 'some-failed': {
      // Records arrive in sequence order: the lowest failed sequence number is the first failed position.
      const fromIndex = sequenceNumbers.findIndex((sequenceNumber) => verdict.failedIds.has(sequenceNumber));
      return { fromIndex: Math.max(fromIndex, 0), wholeBatch: false, functionError: false };
    }
  }
}

/** The records still young enough to invoke: expired ones form a prefix, since a shard is in arrival order. */
function withoutExpired(
  context: ShardContext,
  batch: readonly KinesisSdkRecord[],
): readonly KinesisSdkRecord[] {
  const maxAgeSeconds = context.source.maximumRecordAgeSeconds;
  if (maxAgeSeconds === -1) return batch;
  const oldestAllowed = context.now() - maxAgeSeconds * 1000;
  const firstFresh = batch.findIndex((record) => arrivalOf(record).getTime() >= oldestAllowed);
  return firstFresh === -1 ? [] : batch.slice(firstFresh);
}

/** Skips records for good; with an on-failure destination, sends the one failure record that names them. */
async function discard(
  context: ShardContext,
  records: readonly KinesisSdkRecord[],
  condition: StreamFailureCondition,
  invocations: number,
  functionErrored: boolean,
): Promise<void> {
  const destination = context.source.onFailure;
  const first = records[0]?.SequenceNumber;
  const last = records[records.length - 1]?.SequenceNumber;
  context.log(`${describeShard(context)}: ${condition}, skipping records ${first} to ${last}`);
  if (destination === undefined) return;
  const message = JSON.stringify(
    kinesisFailureRecordOf({
      requestId: randomUUID(),
      functionArn: context.functionArn,
      condition,
      approximateInvokeCount: invocations,
      functionErrored,
      shardId: context.shardId,
      streamArn: context.source.streamArn,
      records,
      now: new Date(context.now()),
    }),
  );
  for (let attempt = 1; attempt <= DESTINATION_ATTEMPTS && !context.signal.aborted; attempt += 1) {
    try {
      if (destination.type === 'sqs') {
        await context.options.sqs.send(
          new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: message }),
        );
      } else {
        await context.options.sns.send(new PublishCommand({ TopicArn: destination.arn, Message: message }));
      }
      return;
    } catch (error) {
      context.log(
        `${describeShard(context)}: on-failure destination ${destination.arn}: ${describeError(error)}`,
      );
      await pause(context.errorBackoffMs * 2 ** (attempt - 1), context.signal);
    }
  }
  context.log(`${describeShard(context)}: the failure record for ${first} to ${last} was not delivered`);
}

async function invokeSafely(
  context: ShardContext,
  batch: readonly KinesisSdkRecord[],
): Promise<InvokeOutcome> {
  const origin = {
    shardId: context.shardId,
    streamArn: context.source.streamArn,
    region: context.options.region,
    invokeIdentityArn: context.invokeIdentityArn,
  };
  const event: KinesisStreamEvent = { Records: batch.map((record) => kinesisRecordOf(record, origin)) };
  try {
    return await context.options.invoke(event);
  } catch (error) {
    return { status: 'error', errorType: 'Runtime.InvokeFailed', errorMessage: describeError(error) };
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

function describeSource(source: KinesisEventSource): string {
  return `kinesis poller ${source.logicalId} (${source.functionName})`;
}

function describeShard(context: ShardContext): string {
  return `${describeSource(context.source)} ${context.shardId}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
