import type { OrderCommand, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, placeOrder } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { CreateOrderBody } from '../../shared/core/order-schema.js';
import type { Scan } from '../../shared/core/scan.js';
import type { OrderHistory } from './arbitraries.js';

/** The order of the fixed histories: placed by `cust-42` in eu-west, 2 × 1999 = 3998 EUR cents. */
export const HISTORY_ORDER_ID = '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b';

const HISTORY_BODY: CreateOrderBody = {
  customerId: 'cust-42',
  currency: 'EUR',
  region: 'eu-west',
  items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1999 }],
};

/**
 * A fixed history made by the real core: placed (`evt-1` at 10:00), then `commands`, one a minute (`evt-2` at
 * 10:01, `evt-3` at 10:02, …); each of them must apply. A ship or deliver comes with a scan of its own
 * (`scan-2` scanned at 10:01, …).
 */
export function historyOf(commands: readonly OrderCommand['type'][]): OrderHistory {
  const placed = placeOrder(HISTORY_ORDER_ID, HISTORY_BODY, {
    eventId: 'evt-1',
    now: '2025-03-01T10:00:00.000Z',
  });
  let record: OrderRecord = { order: placed.order, pendingEvent: undefined };
  const events: OrderEvent[] = [placed.event];
  commands.forEach((type, index) => {
    const context = { eventId: `evt-${index + 2}`, now: `2025-03-01T10:0${index + 1}:00.000Z` };
    const command = commandOf(type, record, { scanId: `scan-${index + 2}`, scannedAt: context.now });
    const decision = decideCommand(record, command, context);
    if (decision.kind !== 'apply') throw new Error(`setup: ${type} was not applied`);
    record = { order: decision.order, pendingEvent: undefined };
    events.push(decision.event);
  });
  return { order: record.order, events };
}

function commandOf(type: OrderCommand['type'], record: OrderRecord, scan: Scan): OrderCommand {
  switch (type) {
    case 'pay':
      return { type, amount: record.order.total };
    case 'ship':
    case 'deliver':
      return { type, scan };
    default:
      return { type };
  }
}
