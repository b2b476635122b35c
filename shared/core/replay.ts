/**
 * Stream replay planning (issue 6, Kinesis part): which sequence-number ranges of which shards go back to which
 * consumer, after Lambda gave up on them and sent their metadata to the on-failure destination. Pure: the replay
 * command reads the records and invokes the consumer.
 */
import * as z from './zod.js';

/** A stream batch Lambda gave up on, as the on-failure destination record names it (the data stays in the stream). */
export interface StreamFailure {
  /** The consumer that failed; the replay invokes it again. */
  functionArn: string;
  streamArn: string;
  shardId: string;
  /** First and last sequence number of the batch: decimal strings, compared as integers. */
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  /** Why Lambda gave up (`RetryAttemptsExhausted`, `RecordAgeExceeded`). */
  condition: string;
}

/** A range to replay: one consumer, one shard, from `start` to `end`, and the failure records it settles. */
export interface ReplayRange<F extends StreamFailure = StreamFailure> {
  functionArn: string;
  streamArn: string;
  shardId: string;
  start: string;
  end: string;
  failures: F[];
}

const DECIMAL = /^\d+$/;
const sequenceNumber = z.string().check(z.regex(DECIMAL, 'a sequence number is a decimal string'));

/** The parts of Lambda's on-failure record for a Kinesis batch that a replay needs (other fields may come too). */
const streamFailureRecordSchema = z
  .object({
    requestContext: z.object({ functionArn: z.string().check(z.minLength(1)), condition: z.string() }),
    KinesisBatchInfo: z.object({
      shardId: z.string().check(z.minLength(1)),
      startSequenceNumber: sequenceNumber,
      endSequenceNumber: sequenceNumber,
      batchSize: z.number().check(z.int(), z.minimum(1)),
      streamArn: z.string().check(z.minLength(1)),
    }),
  })
  .check(
    z.refine(
      // zod runs this even when a field failed: only compare what is a sequence number.
      ({ KinesisBatchInfo: { startSequenceNumber: start, endSequenceNumber: end } }) =>
        !(DECIMAL.test(start) && DECIMAL.test(end)) || compareSequenceNumbers(start, end) <= 0,
      { message: 'startSequenceNumber is after endSequenceNumber', path: ['KinesisBatchInfo'] },
    ),
  );

/**
 * Reads an on-failure destination message. Anything that is not a Kinesis failure record (an SQS or DynamoDB
 * stream record, a hand-written message, broken JSON) gives the reason instead, so the replay can leave it where
 * it is and say why.
 */
export function readStreamFailure(body: string): { failure: StreamFailure } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { reason: 'the body is not JSON' };
  }
  const parsed = streamFailureRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      reason: `not a Kinesis on-failure record: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const { requestContext, KinesisBatchInfo: batch } = parsed.data;
  return {
    failure: {
      functionArn: requestContext.functionArn,
      condition: requestContext.condition,
      streamArn: batch.streamArn,
      shardId: batch.shardId,
      startSequenceNumber: batch.startSequenceNumber,
      endSequenceNumber: batch.endSequenceNumber,
      batchSize: batch.batchSize,
    },
  };
}

/** Orders Kinesis sequence numbers: decimal strings of up to 128 bits, so compared as integers, not as text. */
export function compareSequenceNumbers(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/** Whether a record's sequence number lies in `[start, end]`. */
export function isInRange(sequenceNumber: string, range: Pick<ReplayRange, 'start' | 'end'>): boolean {
  return (
    compareSequenceNumbers(sequenceNumber, range.start) >= 0 &&
    compareSequenceNumbers(sequenceNumber, range.end) <= 0
  );
}

/** One consumer's view of one shard: ranges with the same key are replayed in order, one after the other. */
export function consumerShardOf(range: Pick<StreamFailure, 'functionArn' | 'streamArn' | 'shardId'>): string {
  return JSON.stringify([range.functionArn, range.streamArn, range.shardId]);
}

/**
 * Plans a replay. Failures of one consumer on one shard are replayed in shard order, and ranges that overlap (a
 * record retried in a bisected half, the same failure sent twice) are merged, so that no record is handed to its
 * consumer twice by one replay. Every failure is settled by exactly one range, which covers it; ranges of a
 * consumer's shard are disjoint and ascending; consumers and shards keep the order they first appear in.
 *
 * @example
 * planReplay([{ shardId: 's', startSequenceNumber: '5', endSequenceNumber: '9', ... },
 *             { shardId: 's', startSequenceNumber: '1', endSequenceNumber: '6', ... }])
 * // [{ shardId: 's', start: '1', end: '9', failures: [both] }]
 */
export function planReplay<F extends StreamFailure>(failures: readonly F[]): ReplayRange<F>[] {
  const byShard = new Map<string, F[]>();
  for (const failure of failures) {
    const key = consumerShardOf(failure);
    const shard = byShard.get(key);
    if (shard === undefined) byShard.set(key, [failure]);
    else shard.push(failure);
  }
  const plan: ReplayRange<F>[] = [];
  for (const shard of byShard.values()) {
    const sorted = [...shard].sort(
      (a, b) =>
        compareSequenceNumbers(a.startSequenceNumber, b.startSequenceNumber) ||
        compareSequenceNumbers(a.endSequenceNumber, b.endSequenceNumber),
    );
    let current: ReplayRange<F> | undefined;
    for (const failure of sorted) {
      if (current !== undefined && compareSequenceNumbers(failure.startSequenceNumber, current.end) <= 0) {
        if (compareSequenceNumbers(failure.endSequenceNumber, current.end) > 0) {
          current.end = failure.endSequenceNumber;
        }
        current.failures.push(failure);
        continue;
      }
      current = {
        functionArn: failure.functionArn,
        streamArn: failure.streamArn,
        shardId: failure.shardId,
        start: failure.startSequenceNumber,
        end: failure.endSequenceNumber,
        failures: [failure],
      };
      plan.push(current);
    }
  }
  return plan;
}
