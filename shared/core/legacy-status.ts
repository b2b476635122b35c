/**
 * Status back to the ERP: every status change of an order the ERP placed goes back on the topic exchange
 * `orderflow.status`, routing key `erp.<account>`, `messageId` `<orderId>:<seq>` (the ERP drops a repeat by it: the
 * bridge publishes at least once), in `seq` order per order. Orderflow knows an ERP order by its customer
 * (`erp-<account>`) and finds the ERP's order number through the order's link, recorded when the order was imported.
 *
 * @example
 * // routing key erp.ACME-01, messageId 0b6c1f9e-…:2
 * {
 *   "erpOrderNo": "PO-2026-000123",
 *   "orderId": "0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b",
 *   "status": "PAID",
 *   "previousStatus": "PLACED",
 *   "seq": 2,
 *   "occurredAt": "2026-12-03T08:40:20.000Z",
 *   "total": 3998,
 *   "currency": "EUR",
 *   "correlationId": "erp-run-42"
 * }
 */
import type { ActivityRecord } from './activity.js';
import { withCorrelationId } from './correlation.js';
import { OrderflowError } from './errors.js';
import { customerIdOfAccount, ERP_ACCOUNT_PATTERN, ERP_CUSTOMER_PREFIX } from './legacy-order.js';
import type { OrderStatus } from './status-machine.js';

/** The topic exchange the ERP binds its queues to (`erp.<account>` or `erp.#`); declared in broker/definitions.json. */
export const LEGACY_STATUS_EXCHANGE = 'orderflow.status';

/** The AMQP `type` of every status message: what the ERP dispatches on. */
export const LEGACY_STATUS_MESSAGE_TYPE = 'OrderStatusChanged';

/**
 * Which ERP order an orderflow order is: written before the order is placed, so that every status of the order finds
 * it; never changed afterwards.
 */
export interface LegacyOrderLink {
  orderId: string;
  account: string;
  erpOrderNo: string;
}

/** What the ERP receives: its own order number beside orderflow's, and the status change as the stream has it. */
export interface LegacyStatusBody {
  erpOrderNo: string;
  orderId: string;
  status: OrderStatus;
  previousStatus: OrderStatus | null;
  seq: number;
  occurredAt: string;
  /** In hundredths of the currency's major unit, as orderflow counts money (`3998` is 39.98): the order's total. */
  total: number;
  currency: string;
  correlationId?: string;
}

/** One status message for the ERP: where it goes (`routingKey` on `LEGACY_STATUS_EXCHANGE`), its id, its body. */
export interface LegacyStatusMessage {
  routingKey: string;
  messageId: string;
  body: LegacyStatusBody;
}

/**
 * The order is already linked to another ERP order: the ERP reused a `messageId` (from which the order id derives)
 * for a different order. Retrying cannot help; the message is refused, so that the first order keeps its link.
 */
export class LegacyOrderLinkConflictError extends OrderflowError {
  override readonly name = 'LegacyOrderLinkConflictError';
  readonly retryable = false;
  constructor({ orderId, account, erpOrderNo }: LegacyOrderLink, options: { cause?: unknown } = {}) {
    super(
      `Order '${orderId}' is already linked to another ERP order than ${erpOrderNo} of ${account}: the ERP reused ` +
        'the messageId of an earlier order; send this order again with a messageId of its own.',
      { ...options, orderId },
    );
  }
}

/**
 * Whether the customer is one an ERP account places orders as (`erp-` and a valid account): only those orders can
 * have a link, so every other status change is skipped without a lookup.
 */
export function isErpCustomer(customerId: string): boolean {
  return (
    customerId.startsWith(ERP_CUSTOMER_PREFIX) &&
    ERP_ACCOUNT_PATTERN.test(customerId.slice(ERP_CUSTOMER_PREFIX.length))
  );
}

/** The routing key of an account's statuses: an account holds no `.`, `*` or `#` (`ERP_ACCOUNT_PATTERN`). */
export function legacyStatusRoutingKey(account: string): string {
  return `erp.${account}`;
}

/** The `messageId` of a status message: the same for every publish of the same status change. */
export function legacyStatusMessageId(orderId: string, seq: number): string {
  return `${orderId}:${seq}`;
}

/**
 * The status message of an activity record for the ERP order its link names; `undefined` when the record's customer
 * is no ERP account's or the link is not this record's (another order, another account): nothing goes to the ERP
 * then, and no routing key is ever made of anything but a valid account.
 */
export function legacyStatusMessage(
  activity: ActivityRecord,
  link: LegacyOrderLink,
): LegacyStatusMessage | undefined {
  const isThisOrdersLink =
    link.orderId === activity.orderId && customerIdOfAccount(link.account) === activity.customerId;
  if (!isThisOrdersLink || !isErpCustomer(activity.customerId)) return undefined;
  const { orderId, status, previousStatus, seq, occurredAt, total, currency, correlationId } = activity;
  return {
    routingKey: legacyStatusRoutingKey(link.account),
    messageId: legacyStatusMessageId(orderId, seq),
    body: {
      erpOrderNo: link.erpOrderNo,
      orderId,
      status,
      previousStatus,
      seq,
      occurredAt,
      total,
      currency,
      ...withCorrelationId(correlationId),
    },
  };
}
