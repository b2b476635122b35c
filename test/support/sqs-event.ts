import { createHash } from 'node:crypto';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttribute,
  SQSMessageAttributes,
  SQSRecord,
} from 'aws-lambda';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { OrderItem } from '../../shared/core/order-schema.js';
import type { Scan } from '../../shared/core/scan.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';
import { CREATE_ORDER_TOTAL, orderItems, PLACED_AT } from './order-fixtures.js';

/** A Lambda handler of an SQS event source with partial batch responses. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export const FULFILLMENT_QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:orderflow-test-fulfillment.fifo';
export const REVIEW_QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:orderflow-test-review.fifo';

/** The principal SNS sends as when it delivers to a queue. */
const SNS_SENDER_ID = 'AIDAIT2UOQQY3AUEKVGXU';
const SENT_AT = Date.parse(PLACED_AT);

let recordCounter = 0;

/** The filter attributes the intake publishes with every event. */
export interface EventAttributeValues {
  eventType: string;
  total: number;
  currency: string;
  region: string;
}

/**
 * The message attributes of a record as SNS raw delivery sets them and Lambda passes them on: camel-cased
 * fields, the scalar value as a string, the two reserved (always empty) lists, the data type.
 */
export function eventMessageAttributes({
  eventType,
  total,
  currency,
  region,
}: EventAttributeValues): SQSMessageAttributes {
  return {
    eventType: stringAttribute(eventType, 'String'),
    total: stringAttribute(String(total), 'Number'),
    currency: stringAttribute(currency, 'String'),
    region: stringAttribute(region, 'String'),
  };
}

export function stringAttribute(value: string, dataType: 'String' | 'Number'): SQSMessageAttribute {
  return { stringValue: value, stringListValues: [], binaryListValues: [], dataType };
}

export interface SqsRecordOptions {
  body: string;
  /** `MessageGroupId`: the order id for the order-events queues. */
  groupId: string;
  /** Defaults to a fresh UUID-shaped id. */
  messageId?: string;
  /** `MessageDeduplicationId`; defaults to the body's SHA-256 (content-based deduplication). */
  dedupId?: string;
  /** Message attributes, as `eventMessageAttributes` builds them; none by default. */
  attributes?: SQSMessageAttributes;
  /** `ApproximateReceiveCount`: 1 on the first delivery. */
  receiveCount?: number;
  queueArn?: string;
}

/**
 * A record of an SQS FIFO queue as Lambda delivers it (the shape of a real SQS event, plus the FIFO attributes
 * `SequenceNumber`, `MessageGroupId` and `MessageDeduplicationId`), with real MD5 digests of body and attributes.
 */
export function sqsRecord({
  body,
  groupId,
  messageId,
  dedupId,
  attributes = {},
  receiveCount = 1,
  queueArn = FULFILLMENT_QUEUE_ARN,
}: SqsRecordOptions): SQSRecord {
  recordCounter += 1;
  const sentTimestamp = SENT_AT + recordCounter;
  // Field order as in Lambda's events.
  return {
    messageId: messageId ?? `5f0c8d1e-0000-4000-8000-${String(recordCounter).padStart(12, '0')}`,
    receiptHandle: `AQEB${Buffer.from(`orderflow-receipt-${recordCounter}`).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentTimestamp),
      SenderId: SNS_SENDER_ID,
      ApproximateFirstReceiveTimestamp: String(sentTimestamp + 25),
      SequenceNumber: String(18_849_496_460_467_696_128n + BigInt(recordCounter)),
      MessageGroupId: groupId,
      MessageDeduplicationId: dedupId ?? createHash('sha256').update(body).digest('hex'),
    },
    messageAttributes: attributes,
    md5OfBody: createHash('md5').update(body).digest('hex'),
    ...(Object.keys(attributes).length > 0
      ? { md5OfMessageAttributes: md5OfMessageAttributes(attributes) }
      : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

/**
 * The digest SQS computes over message attributes: for each name in order, the length-prefixed name, data type
 * and value, with a transport byte (1 for strings and numbers, 2 for binary).
 */
export function md5OfMessageAttributes(attributes: SQSMessageAttributes): string {
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.dataType, 'utf8'));
    if (attribute.binaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(attribute.binaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(attribute.stringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// Order events

/** The order an event belongs to, as far as its message attributes tell: money and region. */
export interface EventOrder {
  orderId: string;
  customerId?: string;
  total?: number;
  currency?: string;
  region?: string;
}

export type EnvelopeSpec = EventOrder & {
  /** Defaults to a UUID derived from order, type and seq: the same spec gives the same event. */
  eventId?: string;
  occurredAt?: string;
} & (
    | { type: 'OrderPlaced'; items?: OrderItem[] }
    | { type: 'OrderPaid'; seq: number; amount?: number }
    | { type: 'OrderCancelled'; seq: number; previousStatus?: OrderStatus; reason?: string }
    /** The scan defaults to `scan-<seq>`, scanned when the event occurred; a ship's by DHL with a tracking number. */
    | { type: 'OrderShipped' | 'OrderDelivered'; seq: number; scan?: Scan }
  );

/** An order event ready to be an SQS record of an order-events queue (raw delivery). */
export interface OrderEventMessage {
  event: OrderEvent;
  body: string;
  groupId: string;
  dedupId: string;
  attributes: SQSMessageAttributes;
}

/**
 * Items that add up to `total`: those of `storedOrder` in order-fixtures (2 × 1999 + 1 × 500) for the default
 * total, one item at that price for any other.
 */
function itemsFor(total: number): OrderItem[] {
  if (total !== CREATE_ORDER_TOTAL) return [{ sku: 'SKU-1', quantity: 1, unitPrice: total }];
  return orderItems();
}

/**
 * A valid event envelope (the body the intake publishes) with the message attributes, group and deduplication
 * id SNS gives it: group = orderId, dedup = orderId:seq, attributes from the order's money and region.
 */
export function orderEventBody(spec: EnvelopeSpec): OrderEventMessage {
  const {
    orderId,
    customerId = 'cust_42',
    total = CREATE_ORDER_TOTAL,
    currency = 'EUR',
    region = 'eu-west',
  } = spec;
  const seq = spec.type === 'OrderPlaced' ? 1 : spec.seq;
  const base = {
    eventId: spec.eventId ?? derivedEventId(orderId, spec.type, seq),
    orderId,
    customerId,
    seq,
    occurredAt: spec.occurredAt ?? new Date(Date.parse(PLACED_AT) + (seq - 1) * 60_000).toISOString(),
  };
  const event = eventOf(spec, base, { total, currency, region });
  return {
    event,
    body: JSON.stringify(event),
    groupId: orderId,
    dedupId: `${orderId}:${seq}`,
    attributes: eventMessageAttributes({ eventType: event.type, total, currency, region }),
  };
}

/** The SQS record of an order event; `overrides` change the record, not the event. */
export function orderEventRecord(
  message: OrderEventMessage,
  overrides: Omit<Partial<SqsRecordOptions>, 'body'> = {},
): SQSRecord {
  const { body, groupId, dedupId, attributes } = message;
  return sqsRecord({ body, groupId, dedupId, attributes, ...overrides });
}

type EnvelopeBase = Omit<OrderEvent, 'type' | 'data'>;

function eventOf(
  spec: EnvelopeSpec,
  base: EnvelopeBase,
  money: { total: number; currency: string; region: string },
): OrderEvent {
  switch (spec.type) {
    case 'OrderPlaced': {
      // Key order as the intake writes each event, so that bodies read like the real ones.
      const { eventId, ...rest } = base;
      return {
        eventId,
        type: 'OrderPlaced',
        ...rest,
        data: {
          currency: money.currency,
          region: money.region,
          items: spec.items ?? itemsFor(money.total),
          total: money.total,
        },
      };
    }
    case 'OrderPaid':
      return { ...base, type: 'OrderPaid', data: { amount: spec.amount ?? money.total } };
    case 'OrderCancelled':
      return {
        ...base,
        type: 'OrderCancelled',
        data: {
          previousStatus: spec.previousStatus ?? 'PLACED',
          ...(spec.reason === undefined ? {} : { reason: spec.reason }),
        },
      };
    case 'OrderShipped':
      return {
        ...base,
        type: 'OrderShipped',
        data: spec.scan ?? {
          scanId: `scan-${base.seq}`,
          scannedAt: base.occurredAt,
          carrier: 'DHL',
          trackingNo: 'JD014600006543210987',
        },
      };
    case 'OrderDelivered':
      return {
        ...base,
        type: 'OrderDelivered',
        data: spec.scan ?? { scanId: `scan-${base.seq}`, scannedAt: base.occurredAt },
      };
  }
}

function derivedEventId(orderId: string, type: string, seq: number): string {
  const hex = createHash('sha256').update(`${orderId}:${type}:${seq}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
