/**
 * The correlation id: one value that follows a request through every stage — the HTTP request, the SNS/SQS message
 * (attribute `correlationId`), the event envelope, the Kinesis activity record and the IoT notification — so that an
 * operator can find every log line a request caused.
 *
 * Safe everywhere it goes (a log field, a message attribute, a JSON string): 1-128 of `A-Z a-z 0-9 . _ : = -`, which
 * API Gateway's request ids fit.
 */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:=-]{1,128}$/;

/** The request header a client may send (and gets back). */
export const CORRELATION_ID_HEADER = 'x-correlation-id';

export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value);
}

/**
 * The request's correlation id: the client's `x-correlation-id` when it is a valid one, else the request id API
 * Gateway gave the request. A malformed header is not an error (a tracing header never fails an order): the request
 * id stands in for it, and `rejectedHeader` says so, for the log.
 */
export function correlationIdOf(
  header: string | undefined,
  requestId: string,
): { correlationId: string; rejectedHeader: boolean } {
  if (isCorrelationId(header)) return { correlationId: header, rejectedHeader: false };
  const fallback = CORRELATION_ID_PATTERN.test(requestId)
    ? requestId
    : requestId.replace(/[^A-Za-z0-9._:=-]/g, '_').slice(0, 128);
  return { correlationId: fallback || 'unknown', rejectedHeader: header !== undefined };
}

/** `{ correlationId }` when there is one, `{}` otherwise: for optional fields that must be absent, never empty. */
export function withCorrelationId(correlationId: string | undefined): { correlationId?: string } {
  return correlationId === undefined ? {} : { correlationId };
}
