import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readActivity, readOrders } from '../../../local/load/observe.js';

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

describe('reading orders back', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /** An API that answers `GET /orders/{id}` for `fresh-token` only, and knows order `o-1`. */
  const startApi = async (): Promise<string> => {
    const api = createServer((request, response) => {
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (request.headers.authorization !== 'Bearer fresh-token')
        return json(401, { title: 'token expired' });
      if (request.url === '/orders/o-1') return json(200, { orderId: 'o-1', status: 'PAID', version: 2 });
      return json(404, { title: 'Order not found' });
    });
    server = api;
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  };

  it('mints its token when the read starts, so a run longer than a token lives still reads', async () => {
    // Prepare
    const httpUrl = await startApi();
    const issued: string[] = [];

    // Act
    const readBack = await readOrders(
      httpUrl,
      async () => {
        issued.push('fresh-token');
        return 'fresh-token';
      },
      ['o-1', 'o-unknown'],
      2,
    );

    // Assess
    expect(issued).toHaveLength(1);
    expect(readBack.get('o-1')).toEqual({ status: 'PAID', version: 2 });
    expect(readBack.has('o-unknown')).toBe(true);
    expect(readBack.get('o-unknown')).toBeUndefined();
  });

  it('fails loudly when the API refuses its token, rather than calling every order unreadable', async () => {
    // Prepare
    const httpUrl = await startApi();

    // Act
    const reading = readOrders(httpUrl, async () => 'expired-token', ['o-1'], 1);

    // Assess
    await expect(reading).rejects.toThrow(/answered 401 to the read-back token/);
  });
});
