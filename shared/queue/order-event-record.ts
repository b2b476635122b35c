import type { SQSRecord } from 'aws-lambda';
import { InvalidEventError } from '../core/errors.js';
import { toFieldIssues } from '../core/field-issues.js';
import { type EventAttributes, eventAttributesSchema, orderEventSchema } from '../core/order-event-schema.js';
import type { OrderEvent } from '../core/order-events.js';
import type { RecordKind } from './record-failures.js';

/** The largest message SNS publishes: a bigger body did not come from the intake. */
export const MAX_ORDER_EVENT_BYTES = 256 * 1024;

export interface OrderEventRecord {
  event: OrderEvent;
  attributes: EventAttributes;
}

/**
 * Parses an SQS record of the order-events topic (raw delivery) at the edge: the body through the envelope schema,
 * the filter attributes through theirs. Anything else is an `InvalidEventError` (permanent) naming what is wrong.
 */
export function parseOrderEventRecord(record: SQSRecord): OrderEventRecord {
  const size = Buffer.byteLength(record.body, 'utf8');
  if (size > MAX_ORDER_EVENT_BYTES) {
    throw new InvalidEventError(
      `the body is ${size} bytes; an order event is at most ${MAX_ORDER_EVENT_BYTES}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch (error) {
    throw new InvalidEventError('the body is not JSON', { cause: error });
  }
  const event = orderEventSchema.safeParse(json);
  if (!event.success) throw new InvalidEventError(describe(event.error), { cause: event.error });
  // Events are published with MessageGroupId = orderId: any other group would order this event among another
  // order's events (and let one order's failure hold up another).
  const groupId = record.attributes.MessageGroupId;
  if (groupId !== event.data.orderId) {
    throw new InvalidEventError('orderId does not match the message group', { orderId: event.data.orderId });
  }
  const attributes = eventAttributesSchema.safeParse(
    Object.fromEntries(
      Object.entries(record.messageAttributes ?? {}).map(([name, value]) => [name, value.stringValue]),
    ),
  );
  if (!attributes.success) {
    throw new InvalidEventError(`message attributes: ${describe(attributes.error)}`, {
      cause: attributes.error,
      orderId: event.data.orderId,
    });
  }
  return { event: event.data as OrderEvent, attributes: attributes.data };
}

function describe(error: Parameters<typeof toFieldIssues>[0]): string {
  return toFieldIssues(error)
    .map((issue) => `${issue.field} ${issue.detail}`)
    .join('; ');
}

/** Records of `fulfillment.fifo` and `review.fifo`: order events, one message group per order. */
export const ORDER_EVENT_RECORDS: RecordKind<SQSRecord> = {
  idField: 'messageId',
  idOf: (record) => record.messageId,
  identify(record) {
    try {
      const { event, attributes } = parseOrderEventRecord(record);
      const correlationId = event.correlationId ?? attributes.correlationId;
      return { orderId: event.orderId, seq: event.seq, eventId: event.eventId, correlationId };
    } catch {
      return undefined;
    }
  },
  // Powertools' FIFO processor (skipGroupOnError) fails the rest of a group without handing it over.
  unexplained: (record) =>
    `skipped: an earlier record of message group ${record.attributes.MessageGroupId ?? '(none)'} failed in this batch`,
};
