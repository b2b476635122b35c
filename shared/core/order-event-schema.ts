import { CORRELATION_ID_PATTERN } from './correlation.js';
import { MAX_ITEMS } from './money.js';
import {
  CUSTOMER_ID_PATTERN,
  MAX_CANCEL_REASON_LENGTH,
  ORDER_ID_PATTERN,
  orderItemSchema,
} from './order-schema.js';
import { deliveredDataSchema, shippedDataSchema } from './scan.js';
import { ORDER_STATUSES } from './status-machine.js';
import * as z from './zod.js';

/**
 * The event envelope as consumers parse it at the edge (SQS record body): the same shape `OrderEvent` types.
 * Strict: a body that is not exactly an orderflow event is a permanent failure, sent to the DLQ with the reason.
 */
const envelope = {
  eventId: z.string().check(z.minLength(1), z.maxLength(128)),
  orderId: z.string().check(z.regex(ORDER_ID_PATTERN)),
  customerId: z.string().check(z.regex(CUSTOMER_ID_PATTERN)),
  seq: z.number().check(z.int(), z.minimum(1)),
  occurredAt: z.iso.datetime(),
  correlationId: z.optional(z.string().check(z.regex(CORRELATION_ID_PATTERN))),
};

export const orderEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...envelope,
    type: z.literal('OrderPlaced'),
    seq: z.literal(1),
    data: z.strictObject({
      currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
      region: z.string().check(z.regex(/^[a-z]{2}-[a-z]+$/)),
      items: z.array(orderItemSchema).check(z.minLength(1), z.maxLength(MAX_ITEMS)),
      total: z.number().check(z.int(), z.minimum(0)),
    }),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal('OrderPaid'),
    data: z.strictObject({ amount: z.number().check(z.int(), z.minimum(0)) }),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal('OrderCancelled'),
    data: z.strictObject({
      previousStatus: z.enum(ORDER_STATUSES),
      reason: z.optional(z.string().check(z.maxLength(MAX_CANCEL_REASON_LENGTH))),
    }),
  }),
  z.strictObject({ ...envelope, type: z.literal('OrderFulfilled'), data: z.strictObject({}) }),
  z.strictObject({ ...envelope, type: z.literal('OrderShipped'), data: shippedDataSchema }),
  z.strictObject({ ...envelope, type: z.literal('OrderDelivered'), data: deliveredDataSchema }),
]);

/** The message attributes the intake publishes with every event (SNS → SQS raw delivery keeps them). */
export const eventAttributesSchema = z.object({
  eventType: z.string(),
  correlationId: z.optional(z.string().check(z.regex(CORRELATION_ID_PATTERN))),
  total: z.coerce.number().check(z.int(), z.minimum(0)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  region: z.string().check(z.regex(/^[a-z]{2}-[a-z]+$/)),
});

export type EventAttributes = z.infer<typeof eventAttributesSchema>;
