import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import type {
  RabbitMqEvent,
  RabbitMqHeaderValue,
  RabbitMqMessage,
} from '../../shared/queue/rabbitmq-event.js';
import type { Invoke } from '../runtime/types.js';
import { type EventSourceStats, emptyStats } from './event-source-stats.js';

/** Lambda's largest batch for an Amazon MQ source, and its default. */
export const MAX_RABBITMQ_BATCH = 10_000;
export const DEFAULT_RABBITMQ_BATCH = 100;

export interface RabbitMqSource {
  functionName: string;
  queue: string;
  virtualHost: string;
  /** The broker's ARN, as `eventSourceArn`. */
  brokerArn: string;
  batchSize: number;
  /** How long to gather a batch once its first message arrived (0–300 s; default 0.5 s, as Lambda). */
  maximumBatchingWindowSeconds: number;
}

export interface RabbitMqPollerOptions {
  source: RabbitMqSource;
  /** `amqp://user:password@host:port` of the broker (the virtual host is the source's). */
  url: string;
  invoke: Invoke;
  log?: (line: string) => void;
}

export interface RabbitMqPoller {
  /** Stops consuming; a batch in flight is settled first (acknowledged or requeued). */
  stop(): Promise<void>;
  stats(): EventSourceStats;
}

/**
 * Reproduces Lambda's event source mapping for an Amazon MQ RabbitMQ queue: one consumer (concurrency 1 per
 * mapping) with a prefetch of `batchSize`, a batch gathered until it is full or `maximumBatchingWindowSeconds` passed
 * after its first message, one invocation with the `aws:rmq` event, then every message acknowledged when the
 * invocation succeeded and every message requeued when it failed — there is no partial batch response for MQ. The
 * queue's own delivery limit and dead-letter exchange bound a batch that always fails.
 */
export async function startRabbitMqPoller(options: RabbitMqPollerOptions): Promise<RabbitMqPoller> {
  const { source, invoke, log = (line: string) => console.error(line) } = options;
  const stats = emptyStats();
  const vhost = source.virtualHost === '/' ? '' : `/${encodeURIComponent(source.virtualHost)}`;
  const connection: ChannelModel = await connect(`${options.url}${vhost}`);
  const channel: Channel = await connection.createChannel();
  await channel.prefetch(Math.min(source.batchSize, MAX_RABBITMQ_BATCH));

  let pending: ConsumeMessage[] = [];
  let windowTimer: NodeJS.Timeout | undefined;
  let delivering = Promise.resolve();

  const deliver = async (batch: ConsumeMessage[]) => {
    const event: RabbitMqEvent = {
      eventSource: 'aws:rmq',
      eventSourceArn: source.brokerArn,
      rmqMessagesByQueue: { [`${source.queue}::${source.virtualHost}`]: batch.map(rabbitMqMessageOf) },
    };
    stats.batches += 1;
    stats.records += batch.length;
    stats.retries += batch.filter((message) => message.fields.redelivered).length;
    stats.inFlight += 1;
    try {
      const outcome = await invoke(event);
      const last = batch[batch.length - 1] as ConsumeMessage;
      if (outcome.status === 'ok') {
        channel.ack(last, true);
      } else {
        stats.functionErrors += 1;
        stats.failedRecords += batch.length;
        log(
          `${source.functionName} ← ${source.queue}: ${outcome.errorType}: ${outcome.errorMessage}; ` +
            `the batch of ${batch.length} goes back to the queue`,
        );
        channel.nack(last, true, true);
      }
    } finally {
      stats.inFlight -= 1;
    }
  };

  /** Hands the gathered batch over, one invocation at a time. */
  const flush = () => {
    if (windowTimer !== undefined) clearTimeout(windowTimer);
    windowTimer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    delivering = delivering
      .then(() => deliver(batch))
      .catch((error: unknown) => {
        log(`${source.functionName} ← ${source.queue}: ${String(error)}`);
      });
  };

  const { consumerTag } = await channel.consume(source.queue, (message) => {
    if (message === null) return; // the queue was deleted: nothing more comes
    pending.push(message);
    if (pending.length >= source.batchSize) flush();
    else windowTimer ??= setTimeout(flush, source.maximumBatchingWindowSeconds * 1000);
  });

  let stopped: Promise<void> | undefined;
  return {
    stats: () => ({ ...stats }),
    stop() {
      stopped ??= (async () => {
        await channel.cancel(consumerTag);
        flush();
        await delivering;
        await connection.close();
      })();
      return stopped;
    },
  };
}

/** One delivered message as Lambda puts it in an `aws:rmq` event: properties with `null`s, string headers as bytes. */
export function rabbitMqMessageOf(message: ConsumeMessage): RabbitMqMessage {
  const { properties, fields, content } = message;
  return {
    basicProperties: {
      contentType: properties.contentType ?? null,
      contentEncoding: properties.contentEncoding ?? null,
      headers: Object.fromEntries(
        Object.entries(properties.headers ?? {}).map(([name, value]) => [name, asEventHeader(value)]),
      ),
      deliveryMode: properties.deliveryMode ?? null,
      priority: properties.priority ?? null,
      correlationId: properties.correlationId ?? null,
      replyTo: properties.replyTo ?? null,
      expiration: properties.expiration ?? null,
      messageId: properties.messageId ?? null,
      timestamp: properties.timestamp === undefined ? null : formatTimestamp(properties.timestamp),
      type: properties.type ?? null,
      userId: properties.userId ?? null,
      appId: properties.appId ?? null,
      clusterId: properties.clusterId ?? null,
      bodySize: content.length,
    },
    redelivered: fields.redelivered,
    data: content.toString('base64'),
  };
}

function asEventHeader(value: unknown): RabbitMqHeaderValue {
  if (typeof value === 'string') return { bytes: [...Buffer.from(value, 'utf8')] };
  if (Buffer.isBuffer(value)) return { bytes: [...value] };
  if (Array.isArray(value)) return value.map(asEventHeader);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return JSON.stringify(value) ?? null;
}

/** An AMQP timestamp (seconds since the epoch) the way Lambda formats it: `"Dec 3, 2026, 8:40:00 AM"` (UTC). */
export function formatTimestamp(seconds: number): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' })
    .format(new Date(seconds * 1000))
    .replace(/\u202f/g, ' ');
}
