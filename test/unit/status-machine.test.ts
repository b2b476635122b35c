import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmountMismatchError, TransitionNotAllowedError } from '../../shared/core/errors.js';
import type { CommandDecision, EventContext, OrderCommand, OrderRecord } from '../../shared/core/order.js';
import { decideCommand, placeOrder } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { CreateOrderBody } from '../../shared/core/order-schema.js';
import type { OrderCommandType, OrderStatus } from '../../shared/core/status-machine.js';
import {
  mayBecomeAllowed,
  nextStatus,
  ORDER_STATUSES,
  reachableStatuses,
  TRANSITIONS,
} from '../../shared/core/status-machine.js';
import type { CommandStep } from '../support/arbitraries.js';
import {
  commandStepsArb,
  createOrderBodyArb,
  eventContextArb,
  orderIdArb,
  toCommand,
} from '../support/arbitraries.js';

/**
 * The status machine: `PLACED → PAID → FULFILLED → SHIPPED → DELIVERED`; `PLACED|PAID → CANCELLED`; anything else is
 * a 409.
 */
const ALLOWED: Record<OrderStatus, Partial<Record<OrderCommandType, OrderStatus>>> = {
  PLACED: { pay: 'PAID', cancel: 'CANCELLED' },
  PAID: { fulfil: 'FULFILLED', cancel: 'CANCELLED' },
  FULFILLED: { ship: 'SHIPPED' },
  SHIPPED: { deliver: 'DELIVERED' },
  DELIVERED: {},
  CANCELLED: {},
};
const ALLOWED_TRANSITIONS = new Set([
  'PLACED→PAID',
  'PAID→FULFILLED',
  'FULFILLED→SHIPPED',
  'SHIPPED→DELIVERED',
  'PLACED→CANCELLED',
  'PAID→CANCELLED',
]);
const TERMINAL: readonly OrderStatus[] = ['DELIVERED', 'CANCELLED'];
const COMMAND_TYPES: readonly OrderCommandType[] = ['pay', 'cancel', 'fulfil', 'ship', 'deliver'];

/** "Not yet" in the model: some path of allowed commands leads from `status` to a status that allows `command`. */
function modelMayBecomeAllowed(status: OrderStatus, command: OrderCommandType): boolean {
  const seen = new Set<OrderStatus>();
  const visit = (current: OrderStatus): boolean => {
    if (seen.has(current)) return false;
    seen.add(current);
    if (ALLOWED[current][command] !== undefined) return true;
    return Object.values(ALLOWED[current]).some((next) => visit(next));
  };
  return visit(status);
}

interface StepTrace {
  /** The record the command ran against, and a deep copy of it taken before. */
  record: OrderRecord;
  snapshot: OrderRecord;
  command: OrderCommand;
  context: EventContext;
  decision: CommandDecision;
  /** What an independent model of the rules expects. */
  expected: 'apply' | 'resume' | 'reject';
}

interface OrderTrace {
  placed: OrderRecord;
  steps: StepTrace[];
  applied: OrderEvent[];
  final: OrderRecord;
}

/**
 * Runs a life of an order through the real core: place it, then decide each command in turn, writing what an
 * `apply` decides and clearing the outbox when the step's publish succeeds (as `runOrderCommand` does).
 */
function runOrder(
  orderId: string,
  body: CreateOrderBody,
  placement: { context: EventContext; published: boolean },
  steps: readonly CommandStep[],
): OrderTrace {
  const { order, event } = placeOrder(orderId, body, placement.context);
  const placed: OrderRecord = { order, pendingEvent: placement.published ? undefined : event };
  let record = placed;
  /** The command whose event is still pending, in the model: a retry of exactly this command resumes it. */
  let pendingCommand: OrderCommand | 'place' | undefined = placement.published ? undefined : 'place';
  /** The scan that applied each scan command, in the model: the same scan again resumes, whatever came since. */
  const appliedScans: Partial<Record<OrderCommandType, string>> = {};
  const traces: StepTrace[] = [];
  const applied: OrderEvent[] = [];

  for (const step of steps) {
    const command = toCommand(step.plan, record.order.total);
    const snapshot = structuredClone(record);
    const decision = decideCommand(record, command, step.context);
    const resentScan = 'scan' in command && appliedScans[command.type] === command.scan.scanId;
    const expected: StepTrace['expected'] =
      resentScan ||
      (pendingCommand !== undefined &&
        pendingCommand !== 'place' &&
        JSON.stringify(pendingCommand) === JSON.stringify(command))
        ? 'resume'
        : ALLOWED[record.order.status][command.type] !== undefined &&
            !(command.type === 'pay' && command.amount !== record.order.total)
          ? 'apply'
          : 'reject';
    traces.push({ record, snapshot, command, context: step.context, decision, expected });

    if (decision.kind === 'apply') {
      applied.push(decision.event);
      record = {
        order: decision.order,
        pendingEvent: step.published ? undefined : decision.event,
        lastCommand: decision.lastCommand,
        commandKeys: decision.commandKeys,
      };
      pendingCommand = step.published ? undefined : command;
      if ('scan' in command) appliedScans[command.type] = command.scan.scanId;
    } else if (decision.kind === 'resume' && step.published) {
      record = { ...record, pendingEvent: undefined };
      pendingCommand = undefined;
    }
  }
  return { placed, steps: traces, applied, final: record };
}

const orderLifeArb = fc.record({
  orderId: orderIdArb,
  body: createOrderBodyArb,
  placement: fc.record({ context: eventContextArb, published: fc.boolean() }),
  steps: commandStepsArb,
});

type OrderLife = typeof orderLifeArb extends fc.Arbitrary<infer T> ? T : never;

const run = ({ orderId, body, placement, steps }: OrderLife): OrderTrace =>
  runOrder(orderId, body, placement, steps);

describe('nextStatus', () => {
  const table = ORDER_STATUSES.flatMap((status) =>
    COMMAND_TYPES.map((command) => ({ status, command, to: ALLOWED[status][command] })),
  );

  it.each(table.filter(({ to }) => to !== undefined))(
    'moves $status on $command to $to',
    ({ status, command, to }) => {
      expect(nextStatus(status, command)).toBe(to);
    },
  );

  it.each(table.filter(({ to }) => to === undefined))(
    'refuses $command in $status',
    ({ status, command }) => {
      expect(nextStatus(status, command)).toBeUndefined();
    },
  );

  it('names the event each transition appends', () => {
    expect(TRANSITIONS.pay.event).toBe('OrderPaid');
    expect(TRANSITIONS.cancel.event).toBe('OrderCancelled');
    expect(TRANSITIONS.fulfil.event).toBe('OrderFulfilled');
    expect(TRANSITIONS.ship.event).toBe('OrderShipped');
    expect(TRANSITIONS.deliver.event).toBe('OrderDelivered');
  });

  it.each(TERMINAL)('leaves no way out of %s', (status) => {
    expect(COMMAND_TYPES.map((command) => nextStatus(status, command))).toEqual(
      COMMAND_TYPES.map(() => undefined),
    );
  });
});

describe('mayBecomeAllowed', () => {
  it.each<[OrderCommandType, OrderStatus, boolean]>([
    ['ship', 'PLACED', true],
    ['ship', 'PAID', true],
    ['ship', 'CANCELLED', false],
    ['ship', 'SHIPPED', false],
    ['ship', 'DELIVERED', false],
    ['deliver', 'PLACED', true],
    ['deliver', 'PAID', true],
    ['deliver', 'FULFILLED', true],
    ['deliver', 'CANCELLED', false],
    ['deliver', 'DELIVERED', false],
    ['pay', 'PAID', false],
    ['cancel', 'FULFILLED', false],
    ['fulfil', 'PLACED', true],
  ])('says whether %s, refused while %s, may still become allowed: %s', (command, status, expected) => {
    expect(nextStatus(status, command)).toBeUndefined();
    expect(mayBecomeAllowed(status, command)).toBe(expected);
  });

  it('agrees with a walk of the allowed transitions, for every status and command', () => {
    for (const status of ORDER_STATUSES) {
      for (const command of COMMAND_TYPES) {
        expect(mayBecomeAllowed(status, command), `${command} in ${status}`).toBe(
          modelMayBecomeAllowed(status, command),
        );
      }
    }
  });

  it('reaches from PLACED every status, and from a terminal status only itself', () => {
    expect([...reachableStatuses('PLACED')].sort()).toEqual([...ORDER_STATUSES].sort());
    for (const status of TERMINAL) expect([...reachableStatuses(status)]).toEqual([status]);
  });
});

describe('the status machine driven through placeOrder and decideCommand', () => {
  it('generates lives that ship and deliver, resend scans and scan too early and too late', () => {
    // Prepare
    const seen = { SHIPPED: 0, DELIVERED: 0, resentScans: 0, notYet: 0, never: 0 };

    // Act
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        for (const { command, decision } of run(life).steps) {
          if (decision.kind === 'apply' && decision.order.status === 'SHIPPED') seen.SHIPPED += 1;
          if (decision.kind === 'apply' && decision.order.status === 'DELIVERED') seen.DELIVERED += 1;
          if (!('scan' in command)) continue;
          if (decision.kind === 'resume') seen.resentScans += 1;
          if (decision.kind === 'reject' && decision.error instanceof TransitionNotAllowedError) {
            if (decision.error.mayBecomeValid) seen.notYet += 1;
            else seen.never += 1;
          }
        }
      }),
      { numRuns: 300 },
    );

    // Assess: the properties below do see the new statuses and every kind of scan.
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(0);
  });

  it('decides apply, resume or reject exactly as the status machine says, for any sequence of commands', () => {
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        for (const step of run(life).steps) expect(step.decision.kind).toBe(step.expected);
      }),
    );
  });

  it('applies only the six allowed transitions and never leaves a terminal state, for any sequence of commands', () => {
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        // Act
        const trace = run(life);

        // Assess
        expect(trace.placed.order.status).toBe('PLACED');
        for (const { record, command, decision } of trace.steps) {
          const from = record.order.status;
          if (TERMINAL.includes(from)) expect(decision.kind).not.toBe('apply');
          if (decision.kind !== 'apply') continue;
          expect(ALLOWED_TRANSITIONS).toContain(`${from}→${decision.order.status}`);
          expect(decision.order.status).toBe(ALLOWED[from][command.type]);
        }
        expect(ORDER_STATUSES).toContain(trace.final.order.status);
      }),
    );
  });

  it('rejects a forbidden command with TransitionNotAllowedError and a wrong payment with AmountMismatchError', () => {
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        for (const { record, command, decision } of run(life).steps) {
          if (decision.kind !== 'reject') continue;
          const { order } = record;
          expect(decision.error.orderId).toBe(order.orderId);
          expect(decision.error.retryable).toBe(false);
          if (ALLOWED[order.status][command.type] === undefined) {
            expect(decision.error).toBeInstanceOf(TransitionNotAllowedError);
            expect(decision.error).toMatchObject({
              from: order.status,
              command: command.type,
              allowedFrom: TRANSITIONS[command.type].from,
              mayBecomeValid: modelMayBecomeAllowed(order.status, command.type),
            });
            expect(decision.error.message).toContain(`'${order.orderId}' is ${order.status}:`);
          } else if (command.type === 'pay') {
            expect(command.amount).not.toBe(order.total);
            expect(decision.error).toBeInstanceOf(AmountMismatchError);
            expect(decision.error).toMatchObject({ amount: command.amount, total: order.total });
          } else {
            expect.unreachable(`rejected an allowed ${command.type} in ${order.status}`);
          }
        }
      }),
    );
  });

  it('leaves the order record unchanged when it rejects or resumes a command', () => {
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        for (const { record, snapshot, decision } of run(life).steps) {
          expect(record).toEqual(snapshot);
          if (decision.kind === 'resume') {
            expect(decision.order).toEqual(snapshot.order);
            expect(decision.event).toEqual(snapshot.pendingEvent);
          }
        }
      }),
    );
  });

  it('keeps version equal to the number of events applied, with each event one seq after the last', () => {
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        // Act
        const trace = run(life);

        // Assess
        expect(trace.placed.order.version).toBe(1);
        expect(trace.final.order.version).toBe(1 + trace.applied.length);
        expect(trace.applied.map((event) => event.seq)).toEqual(trace.applied.map((_, index) => index + 2));
        for (const { record, decision } of trace.steps) {
          const expectedVersion = decision.kind === 'apply' ? record.order.version + 1 : record.order.version;
          const order = decision.kind === 'reject' ? record.order : decision.order;
          expect(order.version).toBe(expectedVersion);
          if (decision.kind === 'apply') expect(decision.event.seq).toBe(decision.order.version);
        }
      }),
    );
  });

  it('stamps each applied event with the order, the context and the data of its command', () => {
    fc.assert(
      fc.property(orderLifeArb, (life) => {
        for (const { record, command, context, decision } of run(life).steps) {
          if (decision.kind !== 'apply') continue;
          const { order } = record;
          const { event } = decision;
          expect(event).toMatchObject({
            eventId: context.eventId,
            type: TRANSITIONS[command.type].event,
            orderId: order.orderId,
            customerId: order.customerId,
            occurredAt: context.now,
          });
          expect(decision.order).toEqual({
            ...order,
            status: decision.order.status,
            version: order.version + 1,
            updatedAt: context.now,
          });
          if (event.type === 'OrderPaid') expect(event.data).toEqual({ amount: order.total });
          if (event.type === 'OrderFulfilled') expect(event.data).toEqual({});
          if (event.type === 'OrderShipped' && command.type === 'ship')
            expect(event.data).toEqual(command.scan);
          if (event.type === 'OrderDelivered' && command.type === 'deliver') {
            const { carrier: _carrier, trackingNo: _trackingNo, ...delivered } = command.scan;
            expect(event.data).toEqual(delivered);
          }
          if (event.type === 'OrderCancelled') {
            const reason = command.type === 'cancel' ? command.reason : undefined;
            expect(event.data).toEqual(
              reason === undefined
                ? { previousStatus: order.status }
                : { previousStatus: order.status, reason },
            );
          }
        }
      }),
    );
  });
});
