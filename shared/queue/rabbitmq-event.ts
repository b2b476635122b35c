/**
 * The event Lambda's event source mapping for an Amazon MQ RabbitMQ broker delivers, and its messages read at the
 * edge. There is no `ReportBatchItemFailures` for it: an error fails the whole batch and the broker redelivers it.
 *
 * @example
 * {
 *   "eventSource": "aws:rmq",
 *   "eventSourceArn": "arn:aws:mq:eu-west-1:123456789012:broker:orderflow:b-0a1b2c3d-...",
 *   "rmqMessagesByQueue": {
 *     "legacy.orders::/": [
 *       {
 *         "basicProperties": { "messageId": "m-1", "headers": { "source": { "bytes": [69, 82, 80] } }, ... },
 *         "redelivered": false,
 *         "data": "eyJlcnBPcmRlck5vIjoi..."
 *       }
 *     ]
 *   }
 * }
 */
import { InvalidEventError } from '../core/errors.js';

/** A header value as Lambda hands it over: AMQP strings as their bytes, numbers and booleans as they are. */
export type RabbitMqHeaderValue =
  | { bytes: number[] }
  | string
  | number
  | boolean
  | null
  | RabbitMqHeaderValue[];

/** The AMQP basic properties of one message; absent properties are `null`. */
export interface RabbitMqBasicProperties {
  contentType?: string | null;
  contentEncoding?: string | null;
  headers?: Record<string, RabbitMqHeaderValue> | null;
  deliveryMode?: number | null;
  priority?: number | null;
  correlationId?: string | null;
  replyTo?: string | null;
  expiration?: string | null;
  messageId?: string | null;
  /** A formatted date (`"Jan 1, 1970, 12:33:41 AM"`), not a number. */
  timestamp?: string | null;
  type?: string | null;
  userId?: string | null;
  appId?: string | null;
  clusterId?: string | null;
  bodySize?: number;
}

export interface RabbitMqMessage {
  basicProperties: RabbitMqBasicProperties;
  redelivered: boolean;
  /** The body, base64. */
  data: string;
}

export interface RabbitMqEvent {
  eventSource: 'aws:rmq';
  eventSourceArn: string;
  /** Messages by `"<queue>::<virtual host>"`, each queue's in the order the broker delivered them. */
  rmqMessagesByQueue: Record<string, RabbitMqMessage[]>;
}

/** One message of the batch, read: where it came from, its body as text, its properties in plain values. */
export interface ReceivedRabbitMqMessage {
  queue: string;
  virtualHost: string;
  messageId: string | undefined;
  correlationId: string | undefined;
  headers: Record<string, unknown>;
  redelivered: boolean;
  body: string;
}

/**
 * Every message of an `aws:rmq` event, queue by queue in the order the event lists them, each queue's in delivery
 * order.
 *
 * @throws InvalidEventError when the event is not an `aws:rmq` event: nothing of it can be handled.
 */
export function readRabbitMqEvent(event: unknown): ReceivedRabbitMqMessage[] {
  const candidate = event as Partial<RabbitMqEvent> | null;
  if (candidate === null || typeof candidate !== 'object' || candidate.eventSource !== 'aws:rmq') {
    throw new InvalidEventError('expected an Amazon MQ RabbitMQ event (eventSource "aws:rmq")');
  }
  const byQueue = candidate.rmqMessagesByQueue;
  if (byQueue === null || typeof byQueue !== 'object') {
    throw new InvalidEventError('an aws:rmq event without rmqMessagesByQueue');
  }
  return Object.entries(byQueue).flatMap(([key, messages]) => {
    const { queue, virtualHost } = splitQueueKey(key);
    if (!Array.isArray(messages)) throw new InvalidEventError(`the messages of ${key} are not a list`);
    return messages.map((message) => readMessage(queue, virtualHost, message));
  });
}

/** `"legacy.orders::/"` → queue `legacy.orders`, virtual host `/` (a queue name may hold `::` itself). */
export function splitQueueKey(key: string): { queue: string; virtualHost: string } {
  const at = key.lastIndexOf('::');
  if (at <= 0) throw new InvalidEventError(`"${key}" is not "<queue>::<virtual host>"`);
  return { queue: key.slice(0, at), virtualHost: key.slice(at + 2) };
}

/** A header's value as the publisher set it: `{ bytes }` decoded as UTF-8 text, lists element by element. */
export function headerValue(value: RabbitMqHeaderValue): unknown {
  if (Array.isArray(value)) return value.map(headerValue);
  if (value !== null && typeof value === 'object' && Array.isArray(value.bytes)) {
    return Buffer.from(value.bytes).toString('utf8');
  }
  return value;
}

function readMessage(queue: string, virtualHost: string, message: RabbitMqMessage): ReceivedRabbitMqMessage {
  if (message === null || typeof message !== 'object' || typeof message.data !== 'string') {
    throw new InvalidEventError(`a message of ${queue} without its base64 data`);
  }
  const properties = message.basicProperties ?? {};
  return {
    queue,
    virtualHost,
    messageId: properties.messageId ?? undefined,
    correlationId: properties.correlationId ?? undefined,
    headers: Object.fromEntries(
      Object.entries(properties.headers ?? {}).map(([name, value]) => [name, headerValue(value)]),
    ),
    redelivered: message.redelivered === true,
    body: Buffer.from(message.data, 'base64').toString('utf8'),
  };
}
