import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  customerIdOfAccount,
  ERP_ACCOUNT_PATTERN,
  ERP_ORDER_NO_PATTERN,
} from '../../shared/core/legacy-order.js';
import { isErpCustomer, type LegacyOrderLink, legacyStatusMessage } from '../../shared/core/legacy-status.js';
import { customerIdArb, orderIdArb } from '../support/arbitraries.js';
import { ACTIVITY_ORDER_ID, activityRecord } from '../support/kinesis-event.js';

const accountArb = fc.stringMatching(ERP_ACCOUNT_PATTERN);
const erpOrderNoArb = fc.stringMatching(ERP_ORDER_NO_PATTERN);
const seqArb = fc.integer({ min: 1, max: 1_000_000 });

/** Customers that are no ERP account's: HTTP ids, and ids with the `erp-` prefix but no valid account after it. */
const nonErpCustomerArb = fc
  .oneof(
    customerIdArb,
    customerIdArb.map((id) => `erp-${id.toLowerCase()}`),
    fc.constantFrom('erp-', 'erp-a.b', 'erp-*', 'erp-#', 'ERP-ACME-01', 'erpACME'),
  )
  .filter((customerId) => !isErpCustomer(customerId));

const LINK: LegacyOrderLink = {
  orderId: ACTIVITY_ORDER_ID,
  account: 'ACME-01',
  erpOrderNo: 'PO-2026-000123',
};
const ERP_PAID = activityRecord({ status: 'PAID', customerId: 'erp-ACME-01', total: 3998 });

describe('the status message of an ERP order', () => {
  it('goes to erp.<account> with messageId <orderId>:<seq>, whatever the account, order and seq', () => {
    fc.assert(
      fc.property(accountArb, erpOrderNoArb, orderIdArb, seqArb, (account, erpOrderNo, orderId, seq) => {
        // Prepare
        const activity = activityRecord({ orderId, seq, customerId: customerIdOfAccount(account) });

        // Act
        const message = legacyStatusMessage(activity, { orderId, account, erpOrderNo });

        // Assess
        expect(message?.routingKey).toBe(`erp.${account}`);
        expect(message?.routingKey.split('.')).toEqual(['erp', account]);
        expect(message?.routingKey).not.toMatch(/[*#]/);
        expect(message?.messageId).toBe(`${orderId}:${seq}`);
        expect(message?.body).toMatchObject({ erpOrderNo, orderId, seq });
      }),
    );
  });

  it('is never made for a customer that is no ERP account, whatever link is given', () => {
    fc.assert(
      fc.property(nonErpCustomerArb, accountArb, erpOrderNoArb, (customerId, account, erpOrderNo) => {
        // Prepare
        const activity = activityRecord({ customerId });

        // Act
        const message = legacyStatusMessage(activity, { orderId: activity.orderId, account, erpOrderNo });

        // Assess
        expect(message).toBeUndefined();
      }),
    );
  });

  it('recognises the customer of every ERP account, and only by a valid account after the prefix', () => {
    fc.assert(
      fc.property(accountArb, nonErpCustomerArb, (account, other) => {
        expect(isErpCustomer(customerIdOfAccount(account))).toBe(true);
        expect(isErpCustomer(other)).toBe(false);
      }),
    );
  });

  it('carries the ERP order number beside the order id, and the status change with its total', () => {
    // Act
    const message = legacyStatusMessage(ERP_PAID, LINK);

    // Assess
    expect(message).toEqual({
      routingKey: 'erp.ACME-01',
      messageId: `${ACTIVITY_ORDER_ID}:2`,
      body: {
        erpOrderNo: 'PO-2026-000123',
        orderId: ACTIVITY_ORDER_ID,
        status: 'PAID',
        previousStatus: 'PLACED',
        seq: 2,
        occurredAt: '2024-05-01T10:00:20.000Z',
        total: 3998,
        currency: 'EUR',
      },
    });
  });

  it('passes the correlation id of the status change on', () => {
    // Act
    const message = legacyStatusMessage({ ...ERP_PAID, correlationId: 'erp-run-42' }, LINK);

    // Assess
    expect(message?.body.correlationId).toBe('erp-run-42');
  });

  it.each([
    ['another order', { ...LINK, orderId: '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a' }],
    ['an account whose customer is not the order’s', { ...LINK, account: 'OTHER-02' }],
  ])('is not made with the link of %s', (_case, link) => {
    expect(legacyStatusMessage(ERP_PAID, link)).toBeUndefined();
  });
});
