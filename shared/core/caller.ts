import { ForbiddenError } from './errors.js';
import type { Order } from './order.js';

/**
 * Who sends a request, as the HTTP API's JWT authorizer verified it: the token's `sub` is the customer, its `scope`
 * claim the scopes it grants. The rules below are the whole of orderflow's authorization.
 */
export interface Caller {
  customerId: string;
  scopes: ReadonlySet<string>;
}

/** The scope that lets a caller read any customer's order (support staff, operators); it changes nothing else. */
export const ADMIN_SCOPE = 'orders/admin';

export function isAdmin(caller: Caller): boolean {
  return caller.scopes.has(ADMIN_SCOPE);
}

/** A customer places orders for itself only; no scope places them for someone else. */
export function assertMayPlaceFor(caller: Caller, customerId: string): void {
  if (caller.customerId !== customerId) {
    throw new ForbiddenError("An order can only be placed for the token's own customer (customerId = sub).");
  }
}

/** A customer reads its own orders; the admin scope reads any. */
export function assertMayRead(caller: Caller, order: Pick<Order, 'orderId' | 'customerId'>): void {
  if (caller.customerId !== order.customerId && !isAdmin(caller)) {
    throw new ForbiddenError('This order belongs to another customer; only the admin scope reads it.', {
      orderId: order.orderId,
    });
  }
}

/** Paying and cancelling are the customer's own: the admin scope does not change anyone else's order. */
export function assertMayChange(caller: Caller, order: Pick<Order, 'orderId' | 'customerId'>): void {
  if (caller.customerId !== order.customerId) {
    throw new ForbiddenError(
      'This order belongs to another customer; only its customer pays or cancels it.',
      {
        orderId: order.orderId,
      },
    );
  }
}
