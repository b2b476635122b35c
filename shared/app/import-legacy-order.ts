import { isCorrelationId } from '../core/correlation.js';
import { OrderflowError, ValidationError } from '../core/errors.js';
import { translateLegacyOrder } from '../core/legacy-order.js';
import type { FaultSwitch, LegacyOrderLinks, LegacyRejections, Log } from '../core/ports.js';
import { legacyIdempotencyKey, newEventContext, orderIdFor } from '../ids.js';
import { type OrderPorts, placeOrResumeOrder } from './order-commands.js';

/** The largest ERP message taken: an order of 50 lines is a few KB. */
export const MAX_LEGACY_MESSAGE_BYTES = 64 * 1024;

export interface LegacyImportPorts extends OrderPorts {
  log: Pick<Log, 'info' | 'warn' | 'appendKeys'>;
  rejections: LegacyRejections;
  /** Test-only: a message of the switch's customer fails, transiently, on every delivery (off when deployed). */
  faults: FaultSwitch;
  /** Where each order's ERP order number is kept, for the statuses that go back to the ERP. */
  links: Pick<LegacyOrderLinks, 'record'>;
}

/** One ERP message as the broker delivered it. */
export interface LegacyMessage {
  body: string;
  messageId: string | undefined;
  correlationId: string | undefined;
}

export type LegacyImportOutcome =
  | { kind: 'placed'; orderId: string; erpOrderNo: string; account: string }
  /** The message was delivered before (sent twice, or its batch redelivered): its order is the one it placed then. */
  | { kind: 'already-placed'; orderId: string; erpOrderNo: string; account: string }
  | { kind: 'rejected'; reason: string };

/**
 * `importLegacyOrder`: each ERP message of a batch, in delivery order, becomes an order of the account's customer,
 * placed as `POST /orders` with an `Idempotency-Key` places it (write with the event, publish, clear the outbox).
 * The order id derives from the message's key (`legacyIdempotencyKey`) and the account alone, so a message sent
 * twice, or a batch redelivered after a crash, finds the order its first delivery placed and makes no second one,
 * and a key sent again with another order is refused (`IdempotencyKeyReusedError`) rather than placed.
 *
 * Before the order is placed, its link to the ERP order (`account`, `erpOrderNo`) is recorded: every status of the
 * order finds it, and goes back to the ERP (`publishLegacyStatus`). Recording again is harmless; a key sent again
 * with another ERP order number is refused (`LegacyOrderLinkConflictError`), so the first order keeps its link.
 *
 * A message that can never be valid (not JSON, not the ERP's format, a `messageId` reused for another order) is
 * handed to `rejections` with its reason and the batch goes on. Any other failure (the link or the order not
 * written, the event not published) is thrown: the whole batch fails and the broker delivers it again (its delivery
 * limit bounds a message that always fails).
 */
export async function importLegacyOrders(
  ports: LegacyImportPorts,
  messages: readonly LegacyMessage[],
): Promise<LegacyImportOutcome[]> {
  const outcomes: LegacyImportOutcome[] = [];
  for (const message of messages) outcomes.push(await importOne(ports, message));
  return outcomes;
}

async function importOne(ports: LegacyImportPorts, message: LegacyMessage): Promise<LegacyImportOutcome> {
  const refusal = (reason: string) => reject(ports, message, reason);
  const size = Buffer.byteLength(message.body, 'utf8');
  if (size > MAX_LEGACY_MESSAGE_BYTES) {
    return refusal(`the message is ${size} bytes; an ERP order is at most ${MAX_LEGACY_MESSAGE_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch {
    return refusal('the message is not JSON');
  }
  let translated: ReturnType<typeof translateLegacyOrder>;
  try {
    translated = translateLegacyOrder(json);
  } catch (error) {
    if (error instanceof ValidationError) {
      return refusal(
        `not an ERP order: ${error.issues.map(({ field, detail }) => `${field} ${detail}`).join('; ')}`,
      );
    }
    throw error;
  }
  const { body, account, erpOrderNo } = translated;
  const key = legacyIdempotencyKey(message.messageId, translated);
  const orderId = orderIdFor(`legacy:${key}`, { customerId: body.customerId });
  try {
    ports.faults.check({ orderId, customerId: body.customerId, eventId: key });
    // First the link, then the order: a status of the order can never come before its link.
    await ports.links.record({ orderId, account, erpOrderNo });
    // An AMQP correlationId that is not a valid correlation id is left out, as a malformed header is over HTTP.
    const context = newEventContext(
      isCorrelationId(message.correlationId) ? message.correlationId : undefined,
    );
    const { order, placedNow } = await placeOrResumeOrder(ports, { orderId, body, retryable: true }, context);
    const kind = placedNow ? 'placed' : 'already-placed';
    ports.log.info(kind === 'placed' ? 'ERP order placed' : 'ERP order already placed', {
      messageId: message.messageId,
      orderId,
      account,
      erpOrderNo,
    });
    return { kind, orderId: order.orderId, erpOrderNo, account };
  } catch (error) {
    if (error instanceof OrderflowError && !error.retryable) {
      return refusal(`refused: ${error.message}`);
    }
    throw error;
  }
}

async function reject(
  ports: LegacyImportPorts,
  message: LegacyMessage,
  reason: string,
): Promise<LegacyImportOutcome> {
  ports.log.warn('ERP message rejected', { messageId: message.messageId, reason });
  await ports.rejections.reject({ body: message.body, messageId: message.messageId, reason });
  return { kind: 'rejected', reason };
}
