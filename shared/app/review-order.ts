import { withCorrelationId } from '../core/correlation.js';
import { InvalidEventError } from '../core/errors.js';
import type { Log, Notifier, ReviewCase, ReviewStore } from '../core/ports.js';
import type { OrderEventRecord } from '../queue/order-event-record.js';

/** The IoT topic operations watch for high-value orders. */
export const REVIEWS_TOPIC = 'ops/reviews';

export interface ReviewPorts {
  reviews: ReviewStore;
  notifier: Notifier;
  log: Pick<Log, 'info' | 'appendKeys'>;
  now?: () => Date;
}

/**
 * `reviewOrder`: a high-value `OrderPlaced` (the subscription's filter lets only those through) is published to
 * `ops/reviews` and stored as a review case. Publish first, then store: a repeat delivery finds the case and stops,
 * and a crash in between publishes again (at least once, keyed by `orderId`). Review never blocks the order:
 * nothing here writes to it. Any other event is an `InvalidEventError` (retrying cannot help).
 */
export async function reviewOrder(
  ports: ReviewPorts,
  { event, attributes }: OrderEventRecord,
): Promise<void> {
  ports.log.appendKeys({
    orderId: event.orderId,
    ...withCorrelationId(event.correlationId ?? attributes.correlationId),
    eventId: event.eventId,
  });
  if (event.type !== 'OrderPlaced') {
    throw new InvalidEventError(`review.fifo takes OrderPlaced only, got ${event.type}`, {
      orderId: event.orderId,
    });
  }
  const reviewCase: ReviewCase = {
    orderId: event.orderId,
    customerId: event.customerId,
    total: attributes.total,
    currency: attributes.currency,
    region: attributes.region,
    eventId: event.eventId,
    openedAt: (ports.now ?? (() => new Date()))().toISOString(),
  };
  await ports.notifier.publish(REVIEWS_TOPIC, reviewCase);
  const opened = await ports.reviews.open(reviewCase);
  ports.log.info(opened ? 'Review case opened' : 'Review case already open', { total: attributes.total });
}
