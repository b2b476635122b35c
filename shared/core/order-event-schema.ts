import * as z from 'zod';
import { CUSTOMER_ID_PATTERN, ORDER_ID_PATTERN, orderItemSchema } from './order-schema.js';
import { ORDER_STATUSES } from './status-machine.js';

/**
 * The event envelope as consumers parse it at the edge (SQS record body): the same shape `OrderEvent` types.
 * Strict: a body that is not exactly an orderflow event is a permanent failure, sent to the DLQ with the reason.
 */
const envelope = {
  eventId: z.string().min(1).max(128),
  orderId: z.string().regex(ORDER_ID_PATTERN),
  customerId: z.string().regex(CUSTOMER_ID_PATTERN),
  seq: z.number().int().min(1),
  occurredAt: z.iso.datetime(),
};

export const orderEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...envelope,
    type: z.literal('OrderPlaced'),
    seq: z.literal(1),
    data: z.strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/),
      region: z.string().regex(/^[a-z]{2}-[a-z]+$/),
      items: z.array(orderItemSchema).min(1),
      total: z.number().int().min(0),
    }),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal('OrderPaid'),
    data: z.strictObject({ amount: z.number().int().min(0) }),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal('OrderCancelled'),
    data: z.strictObject({ previousStatus: z.enum(ORDER_STATUSES), reason: z.string().optional() }),
  }),
  z.strictObject({ ...envelope, type: z.literal('OrderFulfilled'), data: z.strictObject({}) }),
]);

/** The message attributes the intake publishes with every event (SNS → SQS raw delivery keeps them). */
export const eventAttributesSchema = z.object({
  eventType: z.string(),
  total: z.coerce.number().int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/),
  region: z.string().regex(/^[a-z]{2}-[a-z]+$/),
});

export type EventAttributes = z.infer<typeof eventAttributesSchema>;
