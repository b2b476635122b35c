import { OrderflowError, type OrderflowErrorOptions } from '../core/errors.js';

// The errors only the HTTP edge raises: about the request itself, not about orders.

/** The request body is larger than the API takes (64 KiB). */
export class PayloadTooLargeError extends OrderflowError {
  override readonly name = 'PayloadTooLargeError';
  readonly retryable = false;
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`The request body is ${sizeBytes} bytes; the limit is ${limitBytes} bytes.`);
  }
}

/** The longest piece of a request (an id, a header) that a problem detail, and so a log line, quotes. */
const MAX_QUOTED_LENGTH = 128;

/**
 * A piece of the request as a problem detail may quote it: control and bidirectional-override characters escaped
 * (`\u0000`), cut after 128 characters — so that a hostile value neither forges log lines nor fills them.
 */
export function quotable(value: string): string {
  const cut = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  let quoted = '';
  for (const char of cut) {
    const code = char.charCodeAt(0);
    quoted += isUnsafe(code) ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return quoted;
}

/** C0 and C1 controls, DEL, and the marks and overrides that reorder text (Trojan Source). */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

export class UnsupportedMediaTypeError extends OrderflowError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly retryable = false;
  constructor(readonly contentType: string | undefined) {
    super(
      `Content-Type ${contentType === undefined ? 'is missing' : `'${quotable(contentType)}' is not supported`}: send the body as application/json.`,
    );
  }
}

/** The request's method is not the one of its route (API Gateway routes by method; a handler checks it again). */
export class MethodNotAllowedError extends OrderflowError {
  override readonly name = 'MethodNotAllowedError';
  readonly retryable = false;
  constructor(
    method: string,
    readonly allowed: string,
  ) {
    super(`Method '${quotable(method)}' is not allowed here; use ${allowed}.`);
  }
}

/**
 * The request carries no verified token. API Gateway's JWT authorizer answers such requests itself (401) before
 * any function runs; a function only sees one when invoked without the authorizer (a test, `invoke local`).
 */
export class UnauthenticatedError extends OrderflowError {
  override readonly name = 'UnauthenticatedError';
  readonly retryable = false;
  constructor() {
    super('The request has no verified token: send Authorization: Bearer <JWT> through the HTTP API.');
  }
}

/** A request with the same Idempotency-Key is still being processed. */
/**
 * The function ran out of time before the request finished (Middy answers just before Lambda's timeout): what it
 * did is unknown, so the same request must be sent again — a keyed one resumes where the first attempt stopped.
 */
export class RequestTimedOutError extends OrderflowError {
  override readonly name = 'RequestTimedOutError';
  readonly retryable = true;
  constructor(options: OrderflowErrorOptions = {}) {
    super('The request ran out of time before it finished; retry the same request.', options);
  }
}

/** Middy's answer when the handler is about to time out (`timeoutEarlyResponse`). */
export function isMiddyTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'TimeoutError' &&
    (error.cause as { package?: unknown } | undefined)?.package === '@middy/core'
  );
}

export class RequestInProgressError extends OrderflowError {
  override readonly name = 'RequestInProgressError';
  readonly retryable = true;
  constructor(options: OrderflowErrorOptions = {}) {
    super('A request with this Idempotency-Key is still in progress; retry after it completes.', options);
  }
}
