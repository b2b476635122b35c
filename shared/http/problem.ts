import type { FieldIssue, OrderflowError } from '../core/errors.js';
import {
  AmountMismatchError,
  ConcurrentUpdateError,
  DependencyUnavailableError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  OrderNotFoundError,
  TransitionNotAllowedError,
  ValidationError,
} from '../core/errors.js';
import {
  MethodNotAllowedError,
  PayloadTooLargeError,
  RequestInProgressError,
  RequestTimedOutError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
} from './errors.js';
import type { HttpResponse } from './responses.js';

/** RFC 9457 problem details, with `errors` listing each bad field. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  orderId?: string;
  errors?: FieldIssue[];
}

interface ProblemKind {
  status: number;
  slug: string;
  title: string;
  retryAfterSeconds?: number;
}

type ErrorClass = abstract new (...args: never[]) => OrderflowError;

/** The one place where errors become HTTP statuses. Ordered: the first class an error is an instance of wins. */
const PROBLEM_KINDS: ReadonlyArray<readonly [ErrorClass, ProblemKind]> = [
  [ValidationError, { status: 400, slug: 'invalid-request', title: 'The request is invalid' }],
  [UnauthenticatedError, { status: 401, slug: 'unauthenticated', title: 'No verified token' }],
  [ForbiddenError, { status: 403, slug: 'forbidden', title: 'Not allowed for this caller' }],
  [OrderNotFoundError, { status: 404, slug: 'order-not-found', title: 'No such order' }],
  [
    TransitionNotAllowedError,
    { status: 409, slug: 'transition-not-allowed', title: 'Not allowed in this status' },
  ],
  [MethodNotAllowedError, { status: 405, slug: 'method-not-allowed', title: 'Method not allowed' }],
  [ConcurrentUpdateError, { status: 409, slug: 'concurrent-update', title: 'The order changed meanwhile' }],
  [
    RequestInProgressError,
    { status: 409, slug: 'request-in-progress', title: 'Request in progress', retryAfterSeconds: 1 },
  ],
  [PayloadTooLargeError, { status: 413, slug: 'payload-too-large', title: 'The request body is too large' }],
  [UnsupportedMediaTypeError, { status: 415, slug: 'unsupported-media-type', title: 'Send JSON' }],
  [
    AmountMismatchError,
    { status: 422, slug: 'amount-mismatch', title: 'The amount does not match the order total' },
  ],
  [
    IdempotencyKeyReusedError,
    { status: 422, slug: 'idempotency-key-reused', title: 'Idempotency-Key reused' },
  ],
  [
    DependencyUnavailableError,
    { status: 503, slug: 'service-unavailable', title: 'Temporarily unavailable', retryAfterSeconds: 1 },
  ],
  [
    RequestTimedOutError,
    { status: 503, slug: 'service-unavailable', title: 'Temporarily unavailable', retryAfterSeconds: 1 },
  ],
];

const INTERNAL: ProblemKind = { status: 500, slug: 'internal-error', title: 'Internal error' };

/** Problem `type` URIs are relative references, documented in README.md ("Errors"). */
export const problemType = (slug: string): string => `/problems/${slug}`;

export function problemKindOf(error: unknown): ProblemKind {
  return PROBLEM_KINDS.find(([errorClass]) => error instanceof errorClass)?.[1] ?? INTERNAL;
}

/**
 * The HTTP response for an error. Only `OrderflowError` messages reach the client; anything else is a 500 that
 * points to the logs by request id and never echoes the error.
 */
export function toProblemResponse(
  error: unknown,
  options: { instance?: string; requestId?: string } = {},
): HttpResponse {
  const kind = problemKindOf(error);
  const known = kind !== INTERNAL ? (error as OrderflowError) : undefined;
  const problem: ProblemDetails = {
    type: problemType(kind.slug),
    title: kind.title,
    status: kind.status,
    detail:
      known?.message ??
      `Something went wrong on our side; the logs have the details under request id ${options.requestId ?? 'unknown'}.`,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
    ...(known?.orderId === undefined ? {} : { orderId: known.orderId }),
    ...fieldIssuesOf(error),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (kind.retryAfterSeconds !== undefined) headers['retry-after'] = String(kind.retryAfterSeconds);
  if (error instanceof MethodNotAllowedError) headers.allow = error.allowed;
  return { statusCode: kind.status, headers, body: JSON.stringify(problem) };
}

function fieldIssuesOf(error: unknown): { errors?: FieldIssue[] } {
  if (error instanceof ValidationError) return { errors: [...error.issues] };
  if (error instanceof PayloadTooLargeError) {
    return { errors: [{ field: 'body', pointer: '#', detail: `must be at most ${error.limitBytes} bytes` }] };
  }
  if (error instanceof UnsupportedMediaTypeError) {
    return {
      errors: [{ field: 'Content-Type', pointer: 'header:content-type', detail: 'must be application/json' }],
    };
  }
  return {};
}
