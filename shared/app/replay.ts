import type { FailureSource, ReceivedFailure, ReplayPorts, SequencedStreamRecord } from '../core/ports.js';
import {
  consumerShardOf,
  planReplay,
  type ReplayRange,
  readStreamFailure,
  type StreamFailure,
} from '../core/replay.js';

export interface ReplayOptions {
  dryRun?: boolean;
  /** Records per invocation: the mapping's batch size (orderflow: 100). */
  batchSize?: number;
}

interface RangeReport {
  functionArn: string;
  shardId: string;
  start: string;
  end: string;
  /** The failure records the range settles. */
  failures: number;
}

export interface ReplayReport {
  dryRun: boolean;
  /** Given to the consumer, which took every record; their failure records were deleted. */
  replayed: Array<RangeReport & { records: number }>;
  /** Not replayed, or not taken by the consumer: their failure records stay for the next replay. */
  failed: Array<RangeReport & { reason: string }>;
  /** A dry run: what would be replayed. */
  planned: RangeReport[];
  /** Messages of the queue that are not Kinesis failure records: left in the queue. */
  skipped: Array<{ messageId: string; reason: string }>;
}

type Failure = StreamFailure & { message: ReceivedFailure };

const RECEIVE_BATCH = 10;
const DEFAULT_BATCH_SIZE = 100;

/**
 * Replays the stream ranges named by the failure records of an on-failure destination:
 * 1. receives every failure record (they stay hidden while the replay runs);
 * 2. plans: per consumer and shard, ranges in shard order, overlaps merged (see `planReplay`);
 * 3. reads each range from the stream (`AT_SEQUENCE_NUMBER` its start, up to its end) and invokes the consumer with
 *    it in batches, as its event source mapping would;
 * 4. deletes a range's failure records only once the consumer took every record of it; otherwise releases them, and
 *    holds the later ranges of that consumer's shard, so that they are replayed in order next time.
 * The consumers must tolerate a record they have seen (orderflow's count each event id once), as Lambda's own
 * retries already require.
 */
export async function runReplay<R extends SequencedStreamRecord>(
  ports: ReplayPorts<R>,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const report: ReplayReport = {
    dryRun: options.dryRun === true,
    replayed: [],
    failed: [],
    planned: [],
    skipped: [],
  };
  const failures: Failure[] = [];
  for (const message of await receiveAll(ports.failures)) {
    const read = readStreamFailure(message.body);
    if ('reason' in read) {
      report.skipped.push({ messageId: message.messageId, reason: read.reason });
      await ports.failures.release(message);
    } else {
      failures.push({ ...read.failure, message });
    }
  }

  const blockedShards = new Set<string>();
  for (const range of planReplay(failures)) {
    const summary = summaryOf(range);
    const shardKey = consumerShardOf(range);
    const outcome = options.dryRun
      ? { planned: true as const }
      : blockedShards.has(shardKey)
        ? { reason: 'held: an earlier range of this shard was not replayed' }
        : await replayRange(ports, range, options.batchSize ?? DEFAULT_BATCH_SIZE);
    if ('records' in outcome) {
      for (const { message } of range.failures) await ports.failures.delete(message);
      report.replayed.push({ ...summary, records: outcome.records });
      continue;
    }
    for (const { message } of range.failures) await ports.failures.release(message);
    if ('planned' in outcome) {
      report.planned.push(summary);
    } else {
      blockedShards.add(shardKey);
      report.failed.push({ ...summary, reason: outcome.reason });
    }
  }
  return report;
}

async function replayRange<R extends SequencedStreamRecord>(
  ports: ReplayPorts<R>,
  range: ReplayRange<Failure>,
  batchSize: number,
): Promise<{ records: number } | { reason: string }> {
  let records: R[];
  try {
    records = await ports.stream.read(range);
  } catch (error) {
    return { reason: `could not read the range: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (records[0]?.kinesis.sequenceNumber !== range.start) {
    return {
      reason: `the stream no longer holds the range from ${range.start} (past its retention period?): nothing was replayed`,
    };
  }
  for (let index = 0; index < records.length; index += batchSize) {
    const batch = records.slice(index, index + batchSize);
    let failed: string[];
    try {
      failed = await ports.consumer.invoke(range.functionArn, { Records: batch });
    } catch (error) {
      return { reason: `the consumer failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (failed.length > 0) {
      return { reason: `the consumer reported batch item failures: ${failed.join(', ')}` };
    }
  }
  return { records: records.length };
}

async function receiveAll(source: FailureSource): Promise<ReceivedFailure[]> {
  const received: ReceivedFailure[] = [];
  for (;;) {
    const batch = await source.receive(RECEIVE_BATCH);
    if (batch.length === 0) return received;
    received.push(...batch);
  }
}

function summaryOf(range: ReplayRange<Failure>): RangeReport {
  return {
    functionArn: range.functionArn,
    shardId: range.shardId,
    start: range.start,
    end: range.end,
    failures: range.failures.length,
  };
}
