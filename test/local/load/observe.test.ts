import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readActivity } from '../../../local/load/observe.js';

const kinesis = mockClient(KinesisClient);

const record = (seq: number) => ({
  SequenceNumber: String(seq),
  PartitionKey: 'o-1',
  Data: Buffer.from(JSON.stringify({ eventId: `e${seq}`, orderId: 'o-1', status: 'PLACED', seq })),
});

const SHARD = {
  ShardId: 'shardId-000000000000',
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
  SequenceNumberRange: { StartingSequenceNumber: '0' },
};

beforeEach(() => {
  kinesis.reset();
});

describe('reading the whole activity stream', () => {
  it('reads a shard past its first page although kinesalite says MillisBehindLatest 0 on every page', async () => {
    // Prepare
    kinesis.on(ListShardsCommand).resolves({ Shards: [SHARD] });
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [record(1), record(2)], MillisBehindLatest: 0, NextShardIterator: 'it-2' })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [record(3)], MillisBehindLatest: 0, NextShardIterator: 'it-3' })
      .on(GetRecordsCommand, { ShardIterator: 'it-3' })
      .resolves({ Records: [], MillisBehindLatest: 0, NextShardIterator: 'it-4' });

    // Act
    const records = await readActivity(new KinesisClient({ region: 'eu-west-1' }), 'stream');

    // Assess
    expect(records.map(({ seq }) => seq)).toEqual([1, 2, 3]);
    expect(kinesis).toHaveReceivedCommandTimes(GetRecordsCommand, 3);
  });

  it('keeps reading past an empty page that is still behind the tip (AWS skips over gaps that way)', async () => {
    // Prepare
    kinesis.on(ListShardsCommand).resolves({ Shards: [SHARD] });
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [], MillisBehindLatest: 5_000, NextShardIterator: 'it-2' })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [record(1)], MillisBehindLatest: 0, NextShardIterator: 'it-3' })
      .on(GetRecordsCommand, { ShardIterator: 'it-3' })
      .resolves({ Records: [], MillisBehindLatest: 0, NextShardIterator: 'it-4' });

    // Act
    const records = await readActivity(new KinesisClient({ region: 'eu-west-1' }), 'stream');

    // Assess
    expect(records.map(({ seq }) => seq)).toEqual([1]);
  });
});
