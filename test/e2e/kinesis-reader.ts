import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';

/** Every record on the stream so far, from every shard, oldest first per shard, parsed as JSON. */
export async function readStream(
  kinesis: KinesisClient,
  streamName: string,
): Promise<Array<Record<string, unknown>>> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: Array<Record<string, unknown>> = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    while (iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of page.Records ?? []) {
        records.push(
          JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as Record<
            string,
            unknown
          >,
        );
      }
      // Until an empty page: kinesalite answers MillisBehindLatest 0 on every page, even with records left.
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}
