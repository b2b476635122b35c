import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { StreamRangeReader } from '../core/ports.js';
import { compareSequenceNumbers } from '../core/replay.js';
import { createKinesisClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';
import { kinesisRecordOf } from './kinesis-records.js';

/** GetRecords pages read per range at most: a range is one failed batch, so this is never reached in practice. */
const MAX_PAGES = 1_000;

/**
 * `StreamRangeReader` on Kinesis: `GetShardIterator` `AT_SEQUENCE_NUMBER` the range's start, then `GetRecords` until
 * a record past its end, or the shard has nothing more (`MillisBehindLatest` 0, or a closed shard's last page). The
 * stream is named by name (taken from its ARN), which Kinesis and kinesalite both accept.
 * `invokeIdentityArn` goes into the records as Lambda's mapping puts its role there.
 */
export function createStreamRangeReader({
  client = createKinesisClient(),
  region,
  invokeIdentityArn,
}: {
  client?: KinesisClient;
  region: string;
  invokeIdentityArn: string;
}): StreamRangeReader {
  return {
    async read({ streamArn, shardId, start, end }) {
      const streamName = streamArn.split(':stream/')[1] ?? streamArn;
      const origin = { shardId, streamArn, region, invokeIdentityArn };
      const records: KinesisStreamRecord[] = [];
      try {
        const { ShardIterator } = await client.send(
          new GetShardIteratorCommand({
            StreamName: streamName,
            ShardId: shardId,
            ShardIteratorType: 'AT_SEQUENCE_NUMBER',
            StartingSequenceNumber: start,
          }),
        );
        let iterator = ShardIterator;
        for (let page = 0; iterator !== undefined && page < MAX_PAGES; page += 1) {
          const {
            Records = [],
            NextShardIterator,
            MillisBehindLatest,
          } = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1_000 }));
          for (const record of Records) {
            if (compareSequenceNumbers(record.SequenceNumber ?? '0', end) > 0) return records;
            records.push(kinesisRecordOf(record, origin));
          }
          if (Records.length === 0 && (MillisBehindLatest ?? 0) === 0) return records;
          iterator = NextShardIterator;
        }
        return records;
      } catch (error) {
        throw asDependencyError('KINESIS', error);
      }
    },
  };
}
