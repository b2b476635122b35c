import type { ConfirmChannel } from 'amqplib';
import type { LegacyRejections, RejectedLegacyMessage } from '../core/ports.js';

/** The dead-letter exchange of `legacy.orders`, and the routing key that takes a message to `legacy.orders.rejected`. */
export const LEGACY_DEAD_LETTER_EXCHANGE = 'legacy.orders.dlx';
export const LEGACY_REJECTED_ROUTING_KEY = 'rejected';
/** The header that carries why orderflow refused the message. */
export const REJECTION_REASON_HEADER = 'x-orderflow-reason';

/**
 * Sends a refused ERP message where the broker sends what it dead-letters: through `legacy.orders`' dead-letter
 * exchange into `legacy.orders.rejected`, persistent, with its `messageId` and the reason in a header. Waits for the
 * broker's confirm: the batch is acknowledged (and the original message gone) only once the rejected copy is safe.
 */
export function legacyRejectionsOn(channel: ConfirmChannel): LegacyRejections {
  return {
    reject: ({ body, messageId, reason }: RejectedLegacyMessage) =>
      new Promise<void>((resolve, reject) => {
        channel.publish(
          LEGACY_DEAD_LETTER_EXCHANGE,
          LEGACY_REJECTED_ROUTING_KEY,
          Buffer.from(body, 'utf8'),
          {
            persistent: true,
            contentType: 'application/json',
            ...(messageId === undefined ? {} : { messageId }),
            headers: { [REJECTION_REASON_HEADER]: reason },
          },
          (error) => (error ? reject(error) : resolve()),
        );
      }),
  };
}
