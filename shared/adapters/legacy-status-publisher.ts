import type { ConfirmChannel } from 'amqplib';
import { DependencyUnavailableError } from '../core/errors.js';
import {
  LEGACY_STATUS_EXCHANGE,
  LEGACY_STATUS_MESSAGE_TYPE,
  type LegacyStatusMessage,
} from '../core/legacy-status.js';
import type { LegacyStatusPublisher } from '../core/ports.js';

/** How a failed publish names the broker, as `brokerChannel` names it when it cannot connect. */
const LEGACY_BROKER = 'the legacy broker (AMQP)';

/**
 * Publishes status messages on `orderflow.status` through the channel `openChannel` gives (`legacyBrokerChannel`:
 * opened on first use, opened again after the broker closed it): persistent, JSON, with the message's `messageId`,
 * the type `OrderStatusChanged`, the status change's time as the AMQP timestamp (seconds) and its correlation id.
 * Each publish resolves on the broker's confirm; a nack, a channel closed before the confirm or a broker that cannot
 * be reached reject it with a `DependencyUnavailableError`, so that the status is sent again, never dropped.
 */
export function legacyStatusPublisher(openChannel: () => Promise<ConfirmChannel>): LegacyStatusPublisher {
  return {
    async publish({ routingKey, messageId, body }: LegacyStatusMessage) {
      const channel = await openChannel();
      const unconfirmed = (cause: unknown) =>
        new DependencyUnavailableError(LEGACY_BROKER, { cause, orderId: body.orderId });
      await new Promise<void>((resolve, reject) => {
        try {
          channel.publish(
            LEGACY_STATUS_EXCHANGE,
            routingKey,
            Buffer.from(JSON.stringify(body), 'utf8'),
            {
              persistent: true,
              contentType: 'application/json',
              messageId,
              type: LEGACY_STATUS_MESSAGE_TYPE,
              timestamp: Math.floor(Date.parse(body.occurredAt) / 1000),
              ...(body.correlationId === undefined ? {} : { correlationId: body.correlationId }),
            },
            (error) => (error ? reject(unconfirmed(error)) : resolve()),
          );
        } catch (error) {
          // amqplib throws at once on a channel that is already closed.
          reject(unconfirmed(error));
        }
      });
    },
  };
}
