import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runReplay } from '../../shared/app/replay.js';
import type { ReceivedFailure, ReplayPorts } from '../../shared/core/ports.js';
import {
  compareSequenceNumbers,
  isInRange,
  planReplay,
  readStreamFailure,
  type StreamFailure,
} from '../../shared/core/replay.js';

const STREAM = 'arn:aws:kinesis:eu-west-1:123456789012:stream/orderflow-test-order-activity';
const CONSUMERS = [
  'arn:aws:lambda:eu-west-1:123456789012:function:orderflow-test-aggregateAnalytics',
  'arn:aws:lambda:eu-west-1:123456789012:function:orderflow-test-notifyCustomer',
];
const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];
/**
 * Increasing sequence numbers of growing length ('9' ... '39000009'): compared as text, '9' would sort after '10'.
 * (Kinesis's are 56 digits or so and need not all have the same length.)
 */
const seqAt = (index: number) => String(9n + BigInt(index) * 10n ** BigInt(Math.floor(index / 8)));

/** Lambda's on-failure record, with the fields AWS documents for a Kinesis event source mapping. */
function failureRecord(failure: StreamFailure): string {
  return JSON.stringify({
    requestContext: {
      requestId: 'c9b8fa9f-5a7f-4e1f-a3b4-6bd1d9e2f4e5',
      functionArn: failure.functionArn,
      condition: failure.condition,
      approximateInvokeCount: 4,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-11-25T10:00:00.000Z',
    KinesisBatchInfo: {
      shardId: failure.shardId,
      startSequenceNumber: failure.startSequenceNumber,
      endSequenceNumber: failure.endSequenceNumber,
      approximateArrivalOfFirstRecord: '2026-11-25T09:59:58.000Z',
      approximateArrivalOfLastRecord: '2026-11-25T09:59:59.000Z',
      batchSize: failure.batchSize,
      streamArn: failure.streamArn,
    },
  });
}

/** A failure of the first consumer on the first shard; `overrides` say what differs. */
const failureOf = (overrides: Partial<StreamFailure>): StreamFailure => ({
  functionArn: CONSUMERS[0] ?? '',
  streamArn: STREAM,
  shardId: SHARDS[0] ?? '',
  startSequenceNumber: seqAt(0),
  endSequenceNumber: seqAt(0),
  batchSize: 1,
  condition: 'RetryAttemptsExhausted',
  ...overrides,
});

/** A failure naming records `from`..`to` (indexes into a shard of 40 records). */
const failureArb: fc.Arbitrary<StreamFailure> = fc
  .record({
    functionArn: fc.constantFrom(...CONSUMERS),
    shardId: fc.constantFrom(...SHARDS),
    from: fc.integer({ min: 0, max: 39 }),
    length: fc.integer({ min: 1, max: 8 }),
  })
  .map(({ functionArn, shardId, from, length }) => {
    const to = Math.min(from + length - 1, 39);
    return {
      functionArn,
      streamArn: STREAM,
      shardId,
      startSequenceNumber: seqAt(from),
      endSequenceNumber: seqAt(to),
      batchSize: to - from + 1,
      condition: 'RetryAttemptsExhausted',
    };
  });

describe('compareSequenceNumbers', () => {
  it('orders sequence numbers as integers, not as text', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers(seqAt(2), seqAt(1))).toBe(1);
    expect(compareSequenceNumbers(seqAt(3), seqAt(3))).toBe(0);
  });
});

describe('readStreamFailure', () => {
  it('reads the consumer, shard and range of a Kinesis on-failure record', () => {
    // Prepare
    const failure: StreamFailure = {
      functionArn: CONSUMERS[0] ?? '',
      streamArn: STREAM,
      shardId: 'shardId-000000000001',
      startSequenceNumber: seqAt(3),
      endSequenceNumber: seqAt(5),
      batchSize: 3,
      condition: 'RecordAgeExceeded',
    };

    // Act & Assess
    expect(readStreamFailure(failureRecord(failure))).toEqual({ failure });
  });

  it.each([
    ['not JSON', 'the body is not JSON'],
    [JSON.stringify({ Records: [] }), 'not a Kinesis on-failure record: requestContext'],
    [
      JSON.stringify({
        requestContext: { functionArn: CONSUMERS[0], condition: 'RetryAttemptsExhausted' },
        SQSBatchInfo: {},
      }),
      'not a Kinesis on-failure record: KinesisBatchInfo',
    ],
    [
      failureRecord(failureOf({ startSequenceNumber: seqAt(5), endSequenceNumber: seqAt(4) })),
      'startSequenceNumber is after endSequenceNumber',
    ],
    [
      failureRecord(failureOf({ startSequenceNumber: '12ab', endSequenceNumber: seqAt(4) })),
      'KinesisBatchInfo.startSequenceNumber: a sequence number is a decimal string',
    ],
  ])('refuses %s, saying why', (body, reason) => {
    // Act
    const read = readStreamFailure(body);

    // Assess
    expect(read).toEqual({ reason: expect.stringContaining(reason) });
  });
});

describe('planReplay', () => {
  it('settles every failure in exactly one range, which covers it', () => {
    fc.assert(
      fc.property(fc.array(failureArb, { maxLength: 20 }), (failures) => {
        // Act
        const plan = planReplay(failures);

        // Assess
        for (const failure of failures) {
          const settling = plan.filter((range) => range.failures.includes(failure));
          expect(settling).toHaveLength(1);
          const [range] = settling;
          expect(range).toMatchObject({
            functionArn: failure.functionArn,
            streamArn: failure.streamArn,
            shardId: failure.shardId,
          });
          expect(range && isInRange(failure.startSequenceNumber, range)).toBe(true);
          expect(range && isInRange(failure.endSequenceNumber, range)).toBe(true);
        }
        expect(plan.flatMap((range) => range.failures)).toHaveLength(failures.length);
      }),
    );
  });

  it("gives a consumer's shard disjoint ascending ranges, bounded by the failures they settle", () => {
    fc.assert(
      fc.property(fc.array(failureArb, { maxLength: 20 }), (failures) => {
        // Act
        const plan = planReplay(failures);

        // Assess
        for (const range of plan) {
          const starts = range.failures.map((failure) => failure.startSequenceNumber);
          const ends = range.failures.map((failure) => failure.endSequenceNumber);
          expect(range.start).toBe([...starts].sort(compareSequenceNumbers)[0]);
          expect(range.end).toBe([...ends].sort(compareSequenceNumbers).at(-1));
          const later = plan.slice(plan.indexOf(range) + 1);
          for (const next of later.filter(
            (other) => other.functionArn === range.functionArn && other.shardId === range.shardId,
          )) {
            expect(compareSequenceNumbers(range.end, next.start)).toBe(-1);
          }
        }
      }),
    );
  });

  it('merges the same failure sent twice and a bisected half into one range', () => {
    // Prepare
    const whole = failureOf({ startSequenceNumber: seqAt(10), endSequenceNumber: seqAt(19), batchSize: 10 });
    const half = { ...whole, startSequenceNumber: seqAt(15), batchSize: 5 };

    // Act
    const plan = planReplay([half, whole, { ...whole }]);

    // Assess
    expect(plan).toEqual([
      expect.objectContaining({ start: seqAt(10), end: seqAt(19), failures: [whole, whole, half] }),
    ]);
  });
});

/** A stream of two shards of 40 records each; record `i` of a shard carries event id `<shard>#<i>`. */
function fakeStream(): ReplayPorts['stream'] {
  return {
    async read({ shardId, start, end }) {
      return Array.from({ length: 40 }, (_, index) => index)
        .filter((index) => isInRange(seqAt(index), { start, end }))
        .map(
          (index) =>
            ({
              kinesis: { sequenceNumber: seqAt(index), data: `${shardId}#${index}` },
            }) as KinesisStreamRecord,
        );
    },
  };
}

/** The on-failure queue: receive hides, delete removes, release shows again. */
function fakeFailureQueue(bodies: string[]) {
  const messages = bodies.map((body, index): ReceivedFailure & { hidden: boolean } => ({
    messageId: `f${index}`,
    receiptHandle: `r${index}`,
    body,
    hidden: false,
  }));
  const source: ReplayPorts['failures'] = {
    async receive(max) {
      const visible = messages.filter((message) => !message.hidden).slice(0, max);
      for (const message of visible) message.hidden = true;
      return visible.map(({ messageId, receiptHandle, body }) => ({ messageId, receiptHandle, body }));
    },
    async delete({ messageId }) {
      messages.splice(
        messages.findIndex((message) => message.messageId === messageId),
        1,
      );
    },
    async release({ messageId }) {
      const message = messages.find((candidate) => candidate.messageId === messageId);
      if (message) message.hidden = false;
    },
  };
  return { source, remaining: () => messages.map((message) => message.body) };
}

describe('runReplay', () => {
  it('deletes a failure record only once its consumer took every record of it, and counts each record once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(failureArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.constantFrom('ok', 'throws', 'reports-a-failure'), { maxLength: 30 }),
        async (failures, behaviours) => {
          // Prepare: each consumer counts event ids into a set (the store's rule); invocations fail as drawn.
          const queue = fakeFailureQueue(failures.map(failureRecord));
          const counted = new Map<string, Set<string>>(CONSUMERS.map((consumer) => [consumer, new Set()]));
          let invocation = 0;
          const consumer: ReplayPorts['consumer'] = {
            async invoke(functionArn, event: KinesisStreamEvent) {
              const behaviour = behaviours[invocation] ?? 'ok';
              invocation += 1;
              if (behaviour === 'throws') throw new Error('Task timed out');
              const [first, ...rest] = event.Records;
              for (const record of behaviour === 'reports-a-failure' ? rest : event.Records) {
                counted.get(functionArn)?.add(record.kinesis.data);
              }
              return behaviour === 'reports-a-failure' && first ? [first.kinesis.sequenceNumber] : [];
            },
          };
          const ports = { failures: queue.source, stream: fakeStream(), consumer };

          // Act: replays until the queue is empty (once the drawn faults are used up, every invocation succeeds).
          for (let run = 0; run < 200 && queue.remaining().length > 0; run += 1) {
            const report = await runReplay(ports, { batchSize: 4 });
            // Assess (each run): what stays in the queue is exactly what was not replayed.
            const settled = report.replayed.reduce((sum, range) => sum + range.failures, 0);
            const open = report.failed.reduce((sum, range) => sum + range.failures, 0);
            expect(settled + open).toBeLessThanOrEqual(failures.length);
            expect(queue.remaining()).toHaveLength(open);
          }

          // Assess: everything named was counted, by the consumer that failed it, and nothing else.
          expect(queue.remaining()).toEqual([]);
          for (const functionArn of CONSUMERS) {
            const expected = new Set(
              failures
                .filter((failure) => failure.functionArn === functionArn)
                .flatMap((failure) =>
                  Array.from({ length: 40 }, (_, index) => index)
                    .filter((index) =>
                      isInRange(seqAt(index), {
                        start: failure.startSequenceNumber,
                        end: failure.endSequenceNumber,
                      }),
                    )
                    .map((index) => `${failure.shardId}#${index}`),
                ),
            );
            expect([...(counted.get(functionArn) ?? [])].every((id) => expected.has(id))).toBe(true);
            expect(counted.get(functionArn)?.size).toBe(expected.size);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps the failure records when the stream no longer holds the range, and holds the later ranges of the shard', async () => {
    // Prepare
    const [consumer = ''] = CONSUMERS;
    const base = { functionArn: consumer, streamArn: STREAM, shardId: SHARDS[0] ?? '', batchSize: 2 };
    const expired = {
      ...base,
      startSequenceNumber: seqAt(0),
      endSequenceNumber: seqAt(1),
      condition: 'RecordAgeExceeded',
    };
    const later = {
      ...base,
      startSequenceNumber: seqAt(5),
      endSequenceNumber: seqAt(6),
      condition: 'RetryAttemptsExhausted',
    };
    const queue = fakeFailureQueue([failureRecord(later), failureRecord(expired), 'not a failure record']);
    const invoked: string[] = [];
    const trimmedStream: ReplayPorts['stream'] = {
      async read(range) {
        // The records before seqAt(3) were trimmed: the read starts later than asked.
        return (await fakeStream().read(range)).filter(
          (record) => compareSequenceNumbers(record.kinesis.sequenceNumber, seqAt(3)) >= 0,
        );
      },
    };

    // Act
    const report = await runReplay({
      failures: queue.source,
      stream: trimmedStream,
      consumer: {
        async invoke(functionArn) {
          invoked.push(functionArn);
          return [];
        },
      },
    });

    // Assess
    expect(invoked).toEqual([]);
    expect(report.failed.map(({ start, reason }) => [start, reason])).toEqual([
      [seqAt(0), expect.stringContaining('the stream no longer holds the range')],
      [seqAt(5), 'held: an earlier range of this shard was not replayed'],
    ]);
    expect(report.skipped).toEqual([{ messageId: 'f2', reason: 'the body is not JSON' }]);
    expect(queue.remaining()).toHaveLength(3);
  });

  it('reports a range the stream cannot be read for, and still replays the other shards', async () => {
    // Prepare
    const queue = fakeFailureQueue([
      failureRecord(
        failureOf({ shardId: SHARDS[0], startSequenceNumber: seqAt(1), endSequenceNumber: seqAt(2) }),
      ),
      failureRecord(
        failureOf({ shardId: SHARDS[1], startSequenceNumber: seqAt(1), endSequenceNumber: seqAt(2) }),
      ),
    ]);
    const stream: ReplayPorts['stream'] = {
      async read(range) {
        if (range.shardId === SHARDS[0]) throw new Error('Rate exceeded for shard shardId-000000000000');
        return fakeStream().read(range);
      },
    };

    // Act
    const report = await runReplay({ failures: queue.source, stream, consumer: { invoke: async () => [] } });

    // Assess
    expect(report.failed).toEqual([
      expect.objectContaining({
        shardId: SHARDS[0],
        reason: 'could not read the range: Rate exceeded for shard shardId-000000000000',
      }),
    ]);
    expect(report.replayed).toEqual([expect.objectContaining({ shardId: SHARDS[1], records: 2 })]);
    expect(queue.remaining()).toHaveLength(1);
  });

  it('changes nothing on a dry run and lists the planned ranges', async () => {
    // Prepare
    const [consumer = ''] = CONSUMERS;
    const failure = {
      functionArn: consumer,
      streamArn: STREAM,
      shardId: SHARDS[1] ?? '',
      startSequenceNumber: seqAt(2),
      endSequenceNumber: seqAt(3),
      batchSize: 2,
      condition: 'RetryAttemptsExhausted',
    };
    const queue = fakeFailureQueue([failureRecord(failure)]);
    const invoked: string[] = [];

    // Act
    const report = await runReplay(
      {
        failures: queue.source,
        stream: fakeStream(),
        consumer: {
          async invoke(functionArn) {
            invoked.push(functionArn);
            return [];
          },
        },
      },
      { dryRun: true },
    );

    // Assess
    expect(report.planned).toEqual([
      { functionArn: consumer, shardId: SHARDS[1], start: seqAt(2), end: seqAt(3), failures: 1 },
    ]);
    expect(report.replayed).toEqual([]);
    expect(invoked).toEqual([]);
    expect(queue.remaining()).toHaveLength(1);
    expect(await queue.source.receive(10)).toHaveLength(1);
  });
});
