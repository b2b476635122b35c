/**
 * The order status machine: `PLACED → PAID → FULFILLED → SHIPPED → DELIVERED`, `PLACED|PAID → CANCELLED`.
 * Anything else is refused (HTTP 409).
 */
export const ORDER_STATUSES = ['PLACED', 'PAID', 'FULFILLED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_EVENT_TYPES = [
  'OrderPlaced',
  'OrderPaid',
  'OrderCancelled',
  'OrderFulfilled',
  'OrderShipped',
  'OrderDelivered',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/**
 * Commands that change an existing order. Placing an order creates it and is not a transition. `pay` and `cancel`
 * come from the customer, `fulfil` from `processOrder`, `ship` and `deliver` from a device's scan.
 */
export type OrderCommandType = 'pay' | 'cancel' | 'fulfil' | 'ship' | 'deliver';

/** What a command does: the statuses it is allowed in, the status it moves to, the event it appends. */
export interface Transition {
  from: readonly OrderStatus[];
  to: OrderStatus;
  event: OrderEventType;
}

export const TRANSITIONS: Readonly<Record<OrderCommandType, Transition>> = {
  pay: { from: ['PLACED'], to: 'PAID', event: 'OrderPaid' },
  cancel: { from: ['PLACED', 'PAID'], to: 'CANCELLED', event: 'OrderCancelled' },
  fulfil: { from: ['PAID'], to: 'FULFILLED', event: 'OrderFulfilled' },
  ship: { from: ['FULFILLED'], to: 'SHIPPED', event: 'OrderShipped' },
  deliver: { from: ['SHIPPED'], to: 'DELIVERED', event: 'OrderDelivered' },
};

/** The status an order moves to when `command` is applied in `status`, or `undefined` when it is forbidden. */
export function nextStatus(status: OrderStatus, command: OrderCommandType): OrderStatus | undefined {
  const transition = TRANSITIONS[command];
  return transition.from.includes(status) ? transition.to : undefined;
}

/** Every status an order in `status` can still get to by some commands, `status` itself included. */
export function reachableStatuses(status: OrderStatus): ReadonlySet<OrderStatus> {
  const reached = new Set<OrderStatus>([status]);
  for (const current of reached) {
    for (const transition of Object.values(TRANSITIONS)) {
      if (transition.from.includes(current)) reached.add(transition.to);
    }
  }
  return reached;
}

/**
 * Whether `command`, forbidden in `status`, may still become allowed: the order can yet reach a status that allows it
 * ("not yet", e.g. `ship` while PAID), as opposed to never again (e.g. `ship` once CANCELLED or DELIVERED).
 *
 * @example
 * mayBecomeAllowed('PAID', 'ship') // true: PAID → FULFILLED
 * mayBecomeAllowed('CANCELLED', 'ship') // false
 */
export function mayBecomeAllowed(status: OrderStatus, command: OrderCommandType): boolean {
  const reachable = reachableStatuses(status);
  return TRANSITIONS[command].from.some((allowed) => reachable.has(allowed));
}
