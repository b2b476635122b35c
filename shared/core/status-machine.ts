/**
 * The order status machine: `PLACED → PAID → FULFILLED`, `PLACED|PAID → CANCELLED`.
 * Anything else is refused (HTTP 409).
 */
export const ORDER_STATUSES = ['PLACED', 'PAID', 'FULFILLED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_EVENT_TYPES = ['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderFulfilled'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/** Commands that change an existing order. Placing an order creates it and is not a transition. */
export type OrderCommandType = 'pay' | 'cancel' | 'fulfil';

interface Transition {
  from: readonly OrderStatus[];
  to: OrderStatus;
  event: OrderEventType;
}

export const TRANSITIONS: Readonly<Record<OrderCommandType, Transition>> = {
  pay: { from: ['PLACED'], to: 'PAID', event: 'OrderPaid' },
  cancel: { from: ['PLACED', 'PAID'], to: 'CANCELLED', event: 'OrderCancelled' },
  fulfil: { from: ['PAID'], to: 'FULFILLED', event: 'OrderFulfilled' },
};

/** The status an order moves to when `command` is applied in `status`, or `undefined` when it is forbidden. */
export function nextStatus(status: OrderStatus, command: OrderCommandType): OrderStatus | undefined {
  const transition = TRANSITIONS[command];
  return transition.from.includes(status) ? transition.to : undefined;
}
