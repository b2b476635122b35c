import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_SCOPE,
  assertMayChange,
  assertMayPlaceFor,
  assertMayRead,
  type Caller,
} from '../../shared/core/caller.js';
import { ForbiddenError } from '../../shared/core/errors.js';
import { customerIdArb, orderIdArb } from '../support/arbitraries.js';

const scopeArb = fc.oneof(fc.constant(ADMIN_SCOPE), fc.constantFrom('openid', 'orders/read', 'profile'));
const callerArb: fc.Arbitrary<Caller> = fc.record({
  customerId: customerIdArb,
  scopes: fc.uniqueArray(scopeArb, { maxLength: 3 }).map((scopes) => new Set(scopes)),
});
const orderArb = fc.record({ orderId: orderIdArb, customerId: customerIdArb });

/** Whether a rule let the caller through (returned) or refused it (a ForbiddenError, nothing else). */
function allows(rule: () => void): boolean {
  try {
    rule();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(ForbiddenError);
    return false;
  }
}

describe('the caller rules', () => {
  it('place an order only for the caller itself, whatever its scopes', () => {
    fc.assert(
      fc.property(callerArb, customerIdArb, (caller, customerId) => {
        expect(allows(() => assertMayPlaceFor(caller, customerId))).toBe(customerId === caller.customerId);
      }),
    );
  });

  it('read an order when it is the caller’s own or the caller holds orders/admin', () => {
    fc.assert(
      fc.property(callerArb, orderArb, (caller, order) => {
        const expected = order.customerId === caller.customerId || caller.scopes.has(ADMIN_SCOPE);
        expect(allows(() => assertMayRead(caller, order))).toBe(expected);
      }),
    );
  });

  it('pay or cancel only the caller’s own order: orders/admin changes nobody else’s', () => {
    fc.assert(
      fc.property(callerArb, orderArb, (caller, order) => {
        expect(allows(() => assertMayChange(caller, order))).toBe(order.customerId === caller.customerId);
      }),
    );
  });

  it('refuse without naming the order’s customer', () => {
    fc.assert(
      fc.property(callerArb, orderArb, (caller, order) => {
        fc.pre(order.customerId !== caller.customerId && order.customerId.length > 8);
        for (const rule of [assertMayRead, assertMayChange]) {
          try {
            rule({ ...caller, scopes: new Set() }, order);
          } catch (error) {
            expect((error as Error).message).not.toContain(order.customerId);
          }
        }
      }),
    );
  });
});
