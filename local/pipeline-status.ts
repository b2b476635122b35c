import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalResource } from './template/model.js';
import type { DeclaredDeadLetterQueue } from './template/packaged-stack.js';

/**
 * `GET /_local/pipeline`: a local-cloud-only view of the pipeline's flow (for `npm run demo` and a dashboard). It is
 * not part of the deployed API, needs no token and carries no order data: only counts.
 */
export const PIPELINE_STATUS_PATH = '/_local/pipeline';

/** `queue`: a queue a function consumes; `dlq`: a queue's dead-letter queue; `subscription-dlq`: an SNS
 * subscription's; `failures`: an event source mapping's on-failure destination (e.g. `activity-failures`). */
export type QueueRole = 'queue' | 'dlq' | 'subscription-dlq' | 'failures';

export interface PipelineQueue {
  name: string;
  role: QueueRole;
  /** `ApproximateNumberOfMessages`: messages waiting to be received. */
  visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`: messages received and not yet deleted (being processed). */
  inFlight: number;
}

export interface PipelineCounters {
  /** Requests to the HTTP API's routes answered with a 2xx status (local paths such as this one not counted). */
  httpAccepted: number;
  /** SNS messages published to fauxqs: entries of `Publish` and `PublishBatch` requests it received. */
  published: number;
  /** MQTT messages published on `orders/+/+/status` (by the functions through the IoT data shim, or by clients). */
  notifications: number;
}

export interface PipelineStatus {
  /** When the figures were read (ISO 8601). */
  at: string;
  queues: PipelineQueue[];
  /** `records`: the records the stream holds now, summed over its shards (read from TRIM_HORIZON). */
  stream: { name: string; records: number };
  counters: PipelineCounters;
}

export interface StackQueue {
  name: string;
  url: string;
  role: QueueRole;
}

/** Every queue of the stack with its role, read from its wiring (`deadLetterQueuesOf`), sorted by name. */
export function queuesOfStack(
  resources: Record<string, LocalResource>,
  deadLetterQueues: readonly DeclaredDeadLetterQueue[],
): StackQueue[] {
  const roles = new Map<string, QueueRole>(
    deadLetterQueues.map((dlq) => [
      dlq.logicalId,
      dlq.kind === 'queue-dlq' ? 'dlq' : dlq.kind === 'subscription-dlq' ? 'subscription-dlq' : 'failures',
    ]),
  );
  return Object.entries(resources)
    .filter(([, resource]) => resource.type === 'AWS::SQS::Queue')
    .map(([logicalId, resource]) => ({
      name: resource.attributes.QueueName ?? resource.ref.split('/').pop() ?? resource.ref,
      url: resource.attributes.QueueUrl ?? resource.ref,
      role: roles.get(logicalId) ?? 'queue',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether an MQTT topic is an order's status topic, `orders/<customerId>/<orderId>/status`. */
export function isOrderStatusTopic(topic: string): boolean {
  const levels = topic.split('/');
  return (
    levels.length === 4 &&
    levels[0] === 'orders' &&
    levels[3] === 'status' &&
    levels[1] !== '' &&
    levels[2] !== ''
  );
}

/**
 * How many SNS messages a request to fauxqs publishes (0 for anything else): its form body (the query protocol the
 * SDK speaks) or JSON body, `Action=Publish` → 1, `Action=PublishBatch` → its entries.
 */
export function snsPublishesIn(body: unknown, target?: string): number {
  const fields = typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : body;
  if (typeof fields !== 'object' || fields === null) return 0;
  const record = fields as Record<string, unknown>;
  const action = typeof record.Action === 'string' ? record.Action : target?.split('.').pop();
  if (action === 'Publish') return 1;
  if (action !== 'PublishBatch') return 0;
  const entries = record.PublishBatchRequestEntries;
  if (Array.isArray(entries)) return entries.length;
  return Object.keys(record).filter((key) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(key))
    .length;
}

/** The counters the local cloud keeps as it sees requests and messages go by. */
export function createPipelineCounters(): PipelineCounters & {
  httpAnswered(statusCode: number): void;
  snsRequest(body: unknown, target?: string): void;
  mqttPublished(topic: string): void;
  snapshot(): PipelineCounters;
} {
  return {
    httpAccepted: 0,
    published: 0,
    notifications: 0,
    httpAnswered(statusCode) {
      if (statusCode >= 200 && statusCode < 300) this.httpAccepted += 1;
    },
    snsRequest(body, target) {
      this.published += snsPublishesIn(body, target);
    },
    mqttPublished(topic) {
      if (isOrderStatusTopic(topic)) this.notifications += 1;
    },
    snapshot() {
      return {
        httpAccepted: this.httpAccepted,
        published: this.published,
        notifications: this.notifications,
      };
    },
  };
}

/**
 * Counts a stream's records incrementally: each shard is read once from TRIM_HORIZON, then only past what was read
 * (its `NextShardIterator` kept); an expired or refused iterator starts the shard's count again.
 */
export function createStreamCounter(kinesis: KinesisClient, streamName: string): () => Promise<number> {
  const shards = new Map<string, { iterator?: string; records: number }>();
  let reading: Promise<number> | undefined;
  const readShard = async (shardId: string): Promise<void> => {
    const shard = shards.get(shardId) ?? { records: 0 };
    shards.set(shardId, shard);
    try {
      if (shard.iterator === undefined) {
        shard.records = 0;
        const { ShardIterator } = await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: streamName,
            ShardId: shardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        shard.iterator = ShardIterator;
      }
      for (let page = 0; page < 100 && shard.iterator !== undefined; page += 1) {
        const answer = await kinesis.send(
          new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 10_000 }),
        );
        shard.records += answer.Records?.length ?? 0;
        shard.iterator = answer.NextShardIterator ?? shard.iterator;
        if ((answer.Records?.length ?? 0) === 0) break;
      }
    } catch {
      shard.iterator = undefined;
    }
  };
  const read = async (): Promise<number> => {
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    for (const { ShardId } of Shards) if (ShardId !== undefined) await readShard(ShardId);
    return [...shards.values()].reduce((sum, shard) => sum + shard.records, 0);
  };
  return () => {
    // Concurrent readers share one read: two would count the same records twice.
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}

export interface PipelineStatusSources {
  queues: readonly StackQueue[];
  streamName: string;
  sqs: SQSClient;
  streamRecords: () => Promise<number>;
  counters: () => PipelineCounters;
  now?: () => Date;
}

/** Reads the pipeline's status: every queue's depths (GetQueueAttributes), the stream's records, the counters. */
export async function readPipelineStatus(sources: PipelineStatusSources): Promise<PipelineStatus> {
  const at = (sources.now ?? (() => new Date()))().toISOString();
  const [queues, records] = await Promise.all([
    Promise.all(
      sources.queues.map(async (queue): Promise<PipelineQueue> => {
        const { Attributes = {} } = await sources.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queue.url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return {
          name: queue.name,
          role: queue.role,
          visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
          inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        };
      }),
    ),
    sources.streamRecords(),
  ]);
  return { at, queues, stream: { name: sources.streamName, records }, counters: sources.counters() };
}
