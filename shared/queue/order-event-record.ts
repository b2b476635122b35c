import type { SQSRecord } from 'aws-lambda';
import { InvalidEventError } from '../core/errors.js';
import { toFieldIssues } from '../core/field-issues.js';
import { type EventAttributes, eventAttributesSchema, orderEventSchema } from '../core/order-event-schema.js';
import type { OrderEvent } from '../core/order-events.js';

export interface OrderEventRecord {
  event: OrderEvent;
  attributes: EventAttributes;
}

/**
 * Parses an SQS record of the order-events topic (raw delivery) at the edge: the body through the envelope schema,
 * the filter attributes through theirs. Anything else is an `InvalidEventError` (permanent) naming what is wrong.
 */
export function parseOrderEventRecord(record: SQSRecord): OrderEventRecord {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch (error) {
    throw new InvalidEventError('the body is not JSON', { cause: error });
  }
  const event = orderEventSchema.safeParse(json);
  if (!event.success) throw new InvalidEventError(describe(event.error), { cause: event.error });
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
