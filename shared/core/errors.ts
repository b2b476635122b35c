/**
 * The one error family of orderflow. Every failure the code means to report is an `OrderflowError`:
 * it names itself, carries the `orderId` it concerns (when known) and says whether trying again can help.
 * `shared/http/problem.ts` is the one place that maps these errors to HTTP problem responses.
 */

import { mayBecomeAllowed, type OrderCommandType, type OrderStatus, TRANSITIONS } from './status-machine.js';

/** One bad field of a request: where it is (`field`, `pointer`) and what is wrong with it (`detail`). */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `items[0].quantity`, or a header name such as `Idempotency-Key`. */
  field: string;
  /** JSON Pointer (RFC 6901) into the request body, or `header:<name>` for headers. */
  pointer: string;
  detail: string;
}

export interface OrderflowErrorOptions {
  cause?: unknown;
  orderId?: string;
}

export abstract class OrderflowError extends Error {
  /**
   * The class's name, written out in each subclass: bundles are minified, and logs, DLQ reasons and problem types
   * must name the real error, not the minifier's.
   */
  abstract override readonly name: string;
  /** `true` when the same request may succeed later (throttling, timeouts, gaps in a sequence). */
  abstract readonly retryable: boolean;
  readonly orderId: string | undefined;

  constructor(message: string, options: OrderflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.orderId = options.orderId;
  }
}

/** The request is malformed: bad JSON, a field out of its rules, an unknown field, a bad header. */
export class ValidationError extends OrderflowError {
  override readonly name = 'ValidationError';
  readonly retryable = false;
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[], options: OrderflowErrorOptions = {}) {
    super(`Invalid request: ${issues.map((issue) => `${issue.field}: ${issue.detail}`).join('; ')}`, options);
    this.issues = issues;
  }
}

export class OrderNotFoundError extends OrderflowError {
  override readonly name = 'OrderNotFoundError';
  readonly retryable = false;
  constructor(orderId: string) {
    super(`Order '${orderId}' does not exist.`, { orderId });
  }
}

/**
 * The caller may not do this: an order placed for another customer, or another customer's order read, paid or
 * cancelled. It says which rule refused it, never whose order it is.
 */
export class ForbiddenError extends OrderflowError {
  override readonly name = 'ForbiddenError';
  readonly retryable = false;
  constructor(message: string, options: OrderflowErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * The status machine forbids this command in the order's current status (`from`). The message says which status the
 * command needs (`allowedFrom`), and `mayBecomeValid` whether the order can still get there: `true` is "not yet"
 * (a ship while PAID: the order may still be fulfilled), `false` is "never" (a ship once CANCELLED or DELIVERED).
 * Whether "not yet" is worth a retry is the caller's call: `retryable` stays `false`, the same request fails the
 * same way until the order changes.
 */
export class TransitionNotAllowedError extends OrderflowError {
  override readonly name = 'TransitionNotAllowedError';
  readonly retryable = false;
  /** The statuses in which the command is allowed. */
  readonly allowedFrom: readonly OrderStatus[];
  /** Whether the order can still reach a status of `allowedFrom` ("not yet"), or never again. */
  readonly mayBecomeValid: boolean;
  constructor(
    orderId: string,
    readonly from: OrderStatus,
    readonly command: OrderCommandType,
  ) {
    const { from: allowedFrom, to } = TRANSITIONS[command];
    const mayBecomeValid = mayBecomeAllowed(from, command);
    const needed = allowedFrom.join(' or ');
    // The status a command moves to, in lower case, is its participle: PAID → "paid", SHIPPED → "shipped".
    const done = to.toLowerCase();
    super(
      mayBecomeValid
        ? `Order '${orderId}' is ${from}: it can be ${done} once it is ${needed}; try again then.`
        : `Order '${orderId}' is ${from}: it can be ${done} only while it is ${needed}, which it can no longer be.`,
      { orderId },
    );
    this.allowedFrom = allowedFrom;
    this.mayBecomeValid = mayBecomeValid;
  }
}

/** Another writer changed the order between our read and our conditional write. */
export class ConcurrentUpdateError extends OrderflowError {
  override readonly name = 'ConcurrentUpdateError';
  readonly retryable = true;
  constructor(
    orderId: string,
    readonly expectedVersion: number,
    options: OrderflowErrorOptions = {},
  ) {
    super(`Order '${orderId}' changed while this request ran (expected version ${expectedVersion}).`, {
      ...options,
      orderId,
    });
  }
}

export class AmountMismatchError extends OrderflowError {
  override readonly name = 'AmountMismatchError';
  readonly retryable = false;
  constructor(
    orderId: string,
    readonly amount: number,
    readonly total: number,
  ) {
    super(`The payment of ${amount} does not match the order total of ${total}.`, { orderId });
  }
}

/** The Idempotency-Key was used before with a different request. */
export class IdempotencyKeyReusedError extends OrderflowError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly retryable = false;
  constructor(options: OrderflowErrorOptions = {}) {
    super('This Idempotency-Key was already used with a different request; use a new key.', options);
  }
}

/**
 * A dependency (DynamoDB, SNS, ...) throttled, timed out or failed on its side. `mayHaveHappened`: whether the call
 * may still have taken effect — true unless the service answered that it refused it (throttling, a 4xx); a timeout,
 * a broken connection or a 5xx leave it open.
 */
export class DependencyUnavailableError extends OrderflowError {
  override readonly name = 'DependencyUnavailableError';
  readonly retryable = true;
  readonly mayHaveHappened: boolean;
  constructor(
    readonly dependency: string,
    options: OrderflowErrorOptions & { mayHaveHappened?: boolean } = {},
  ) {
    const { mayHaveHappened = true, ...rest } = options;
    super(`${dependency} is unavailable right now; retry the same request.`, rest);
    this.mayHaveHappened = mayHaveHappened;
  }
}

/** Walks an error's `cause` chain and returns the first error that satisfies `predicate`. */
export function findInCauseChain<T>(
  error: unknown,
  predicate: (candidate: unknown) => candidate is T,
): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    if (predicate(current)) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/** A consumer received an event whose predecessor it has not applied yet: retry after the predecessor. */
export class SequenceGapError extends OrderflowError {
  override readonly name = 'SequenceGapError';
  readonly retryable = true;
  constructor(
    orderId: string,
    readonly expectedSeq: number,
    readonly receivedSeq: number,
  ) {
    super(
      `Event seq ${receivedSeq} of order '${orderId}' arrived before seq ${expectedSeq}; retrying later.`,
      {
        orderId,
      },
    );
  }
}

/** A queue message that is not an orderflow event: retrying cannot help, it goes to the DLQ at once. */
export class InvalidEventError extends OrderflowError {
  override readonly name = 'InvalidEventError';
  readonly retryable = false;
  constructor(detail: string, options: OrderflowErrorOptions = {}) {
    super(`Not an orderflow event: ${detail}`, options);
  }
}

/**
 * A stream record not attempted because an earlier record of its order failed in the same batch: handling it
 * would put the order's changes out of sequence. It comes back with the failed one.
 */
export class PredecessorFailedError extends OrderflowError {
  override readonly name = 'PredecessorFailedError';
  readonly retryable = true;
  constructor(orderId: string) {
    super(`skipped: an earlier record of order '${orderId}' failed in this batch`, { orderId });
  }
}

/**
 * Raised by the test-only fault switch (`ORDERFLOW_FAULT_CUSTOMER_ID`, or a chaos run's `ORDERFLOW_CHAOS`), never in
 * a deployed stage.
 */
export class InjectedFaultError extends OrderflowError {
  override readonly name = 'InjectedFaultError';
  readonly retryable = true;
  constructor(
    orderId: string,
    because = 'the test-only fault switch ORDERFLOW_FAULT_CUSTOMER_ID names its customer',
  ) {
    super(`Injected fault for order '${orderId}': ${because}.`, { orderId });
  }
}

/**
 * A message that retrying cannot help, which the dead-letter queue did not take either: it stays failed, comes back
 * and is sent to the dead-letter queue again. The cause is the send's error.
 */
export class DeadLetterNotSentError extends OrderflowError {
  override readonly name = 'DeadLetterNotSentError';
  readonly retryable = true;
  constructor(reason: OrderflowError, options: OrderflowErrorOptions = {}) {
    super(
      `The dead-letter queue did not take a message retrying cannot help (${reason.name}: ${reason.message})`,
      {
        ...options,
        ...(reason.orderId === undefined ? {} : { orderId: reason.orderId }),
      },
    );
  }
}

/**
 * An error as a log line can say it: `Name: message`, then each cause (an SDK error behind a
 * `DependencyUnavailableError`, …). The cause of an `InvalidEventError` is left out: its message says what is
 * wrong, and the parser's own message could quote the payload.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    parts.push(`${current.name}: ${current.message}`);
    if (current instanceof InvalidEventError) break;
    current = current.cause;
  }
  return parts.join(' — caused by ');
}
