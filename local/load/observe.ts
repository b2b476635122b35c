import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { connectAsync } from 'mqtt';
import { NO_FIGURES, type WindowFigures } from '../../shared/core/analytics.js';
import type { ActivityObservation, OrderReadBack, StatusMessage } from './verdicts.js';

/**
 * The I/O half of a load run's observation: an MQTT subscriber, and readers of the stream, the analytics table, the
 * queues' depths and the orders themselves. Each returns plain data for the pure verdicts.
 */

/** The status topics of every order, as a customer's device would subscribe. */
export const STATUS_TOPIC_FILTER = 'orders/+/+/status';

export interface StatusWatch {
  /** Every status of the watched customers' orders, in arrival order, with its arrival time. */
  readonly messages: readonly StatusMessage[];
  /** The statuses of one order so far. */
  statusesOf(orderId: string): readonly StatusMessage[];
  /** Messages on the watched topics that were not `{ orderId, status, seq }`. */
  readonly malformed: number;
  /** Set when the broker connection broke: QoS 1 messages may then have been missed. */
  readonly connectionError: string | undefined;
  close(): Promise<void>;
}

/**
 * Subscribes (MQTT 3.1.1, QoS 1) to every order's status topic and keeps the messages of the customers whose id
 * starts with `customerPrefix`, each with the time it arrived. Resolves once the subscription is acknowledged: what
 * is published after that is seen.
 */
export async function watchStatuses(
  mqttUrl: string,
  customerPrefix: string,
  now: () => number = Date.now,
): Promise<StatusWatch> {
  const client = await connectAsync(mqttUrl, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    clean: true,
  });
  const messages: StatusMessage[] = [];
  const byOrder = new Map<string, StatusMessage[]>();
  let malformed = 0;
  let connectionError: string | undefined;
  let closing = false;
  client.on('message', (topic, payload) => {
    const arrivedAt = now();
    const [, customerId] = topic.split('/');
    if (customerId === undefined || !customerId.startsWith(customerPrefix)) return;
    const message = parseStatus(payload, arrivedAt);
    if (message === undefined) {
      malformed += 1;
      return;
    }
    messages.push(message);
    const list = byOrder.get(message.orderId) ?? [];
    list.push(message);
    byOrder.set(message.orderId, list);
  });
  client.on('error', (error) => {
    connectionError ??= error.message;
  });
  client.on('close', () => {
    if (!closing) connectionError ??= 'the broker closed the connection';
  });
  await client.subscribeAsync(STATUS_TOPIC_FILTER, { qos: 1 });
  return {
    messages,
    statusesOf: (orderId) => byOrder.get(orderId) ?? [],
    get malformed() {
      return malformed;
    },
    get connectionError() {
      return connectionError;
    },
    close: async () => {
      closing = true;
      await client.endAsync();
    },
  };
}

function parseStatus(payload: Buffer, arrivedAt: number): StatusMessage | undefined {
  try {
    const { orderId, status, seq } = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    if (typeof orderId !== 'string' || typeof status !== 'string' || typeof seq !== 'number')
      return undefined;
    return { orderId, status, seq, arrivedAt };
  } catch {
    return undefined;
  }
}

/**
 * Every record on the stream, from every shard, from TRIM_HORIZON to its current end: the activity records parse
 * as `{ eventId, orderId, status, seq }`; anything else is skipped.
 */
export async function readActivity(
  kinesis: KinesisClient,
  streamName: string,
): Promise<ActivityObservation[]> {
  const data = await readStreamData(kinesis, streamName);
  return data.flatMap((bytes) => parseActivity(bytes) ?? []);
}

/** The data of every record on the stream, shard after shard, each shard from TRIM_HORIZON to its current end. */
export async function readStreamData(kinesis: KinesisClient, streamName: string): Promise<Uint8Array[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesis.send(
      new ListShardsCommand(nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken }),
    );
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);

  const data: Uint8Array[] = [];
  for (const shard of shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    while (iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) data.push(record.Data ?? new Uint8Array());
      // Read until an empty page at the tip. Not until MillisBehindLatest is 0: kinesalite says 0 on every page,
      // so stopping there would drop whatever lies beyond the first `Limit` records of a shard.
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return data;
}

function parseActivity(data: Uint8Array | undefined): ActivityObservation | undefined {
  try {
    const { eventId, orderId, status, seq } = JSON.parse(
      Buffer.from(data ?? new Uint8Array()).toString('utf8'),
    ) as Record<string, unknown>;
    if (
      typeof eventId !== 'string' ||
      typeof orderId !== 'string' ||
      typeof status !== 'string' ||
      typeof seq !== 'number'
    ) {
      return undefined;
    }
    return { eventId, orderId, status, seq };
  } catch {
    return undefined;
  }
}

/**
 * The analytics windows of `regions`, summed per region: the table's `WINDOW#<region>#<windowStart>` items
 * (analytics-store.ts), read with a strongly consistent scan that leaves the eventId sets out.
 */
export async function readWindowFigures(
  dynamodb: DynamoDBClient,
  tableName: string,
  regions: readonly string[],
): Promise<Map<string, WindowFigures>> {
  const wanted = new Set(regions);
  const byRegion = new Map<string, WindowFigures>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: 'begins_with(pk, :window)',
        ProjectionExpression: 'pk, #region, placed, paid, cancelled, fulfilled, shipped, delivered, revenue',
        ExpressionAttributeNames: { '#region': 'region' },
        ExpressionAttributeValues: { ':window': { S: 'WINDOW#' } },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const region = item.region?.S;
      if (region === undefined || !wanted.has(region)) continue;
      const sum = byRegion.get(region) ?? NO_FIGURES;
      byRegion.set(region, {
        placed: sum.placed + numberOf(item.placed),
        paid: sum.paid + numberOf(item.paid),
        cancelled: sum.cancelled + numberOf(item.cancelled),
        fulfilled: sum.fulfilled + numberOf(item.fulfilled),
        shipped: sum.shipped + numberOf(item.shipped),
        delivered: sum.delivered + numberOf(item.delivered),
        revenue: sum.revenue + numberOf(item.revenue),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return byRegion;
}

function numberOf(value: AttributeValue | undefined): number {
  return value?.N === undefined ? 0 : Number(value.N);
}

/** How many messages a queue holds, visible or in flight. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/**
 * Each order as `GET /orders/{id}` returns it, `concurrency` requests at a time; `undefined` for an order that was
 * not answered 200. The token comes from `issueReadToken` when the read starts (one with the `orders/admin` scope
 * reads any customer's order): a token minted when a long run began would have expired by now.
 *
 * @throws Error when the API refuses the token (401, 403): that is the harness's fault, not the orders'.
 */
export async function readOrders(
  httpUrl: string,
  issueReadToken: () => Promise<string>,
  orderIds: readonly string[],
  concurrency: number,
): Promise<Map<string, OrderReadBack | undefined>> {
  const token = await issueReadToken();
  const result = new Map<string, OrderReadBack | undefined>();
  let next = 0;
  const reader = async () => {
    for (let index = next++; index < orderIds.length; index = next++) {
      const orderId = orderIds[index] as string;
      result.set(orderId, await readOrder(httpUrl, token, orderId));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, reader));
  return result;
}

async function readOrder(
  httpUrl: string,
  token: string,
  orderId: string,
): Promise<OrderReadBack | undefined> {
  let response: Response;
  try {
    response = await fetch(`${httpUrl}/orders/${encodeURIComponent(orderId)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
  } catch {
    return undefined;
  }
  if (response.status === 401 || response.status === 403) {
    throw new Error(
      `GET /orders/${orderId} answered ${response.status} to the read-back token: ${await response.text()}`,
    );
  }
  try {
    const body = (await response.json()) as { status?: unknown; version?: unknown };
    if (response.status !== 200 || typeof body.status !== 'string' || typeof body.version !== 'number') {
      return undefined;
    }
    return { status: body.status, version: body.version };
  } catch {
    return undefined;
  }
}
