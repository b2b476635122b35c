import { OrderflowError, type OrderflowErrorOptions } from '../core/errors.js';

// The errors only the HTTP edge raises: about the request itself, not about orders.

/** The request body is larger than the API takes (64 KiB). */
export class PayloadTooLargeError extends OrderflowError {
  readonly retryable = false;
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`The request body is ${sizeBytes} bytes; the limit is ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends OrderflowError {
  readonly retryable = false;
  constructor(readonly contentType: string | undefined) {
    super(
      `Content-Type ${contentType === undefined ? 'is missing' : `'${contentType}' is not supported`}: send the body as application/json.`,
    );
  }
}

/** A request with the same Idempotency-Key is still being processed. */
export class RequestInProgressError extends OrderflowError {
  readonly retryable = true;
  constructor(options: OrderflowErrorOptions = {}) {
    super('A request with this Idempotency-Key is still in progress; retry after it completes.', options);
  }
}
