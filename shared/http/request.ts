import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { OrderNotFoundError, ValidationError } from '../core/errors.js';
import { toFieldIssues } from '../core/field-issues.js';
import { IDEMPOTENCY_KEY_PATTERN, ORDER_ID_PATTERN } from '../core/order-schema.js';
import type * as z from '../core/zod.js';
import { PayloadTooLargeError, quotable, UnsupportedMediaTypeError } from './errors.js';

/** A body over 64 KiB is a 413 (README, "Errors"). */
export const MAX_BODY_BYTES = 64 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** HTTP API lower-cases header names; events written by hand may not, so look them up case-insensitively. */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Parses the JSON body through `schema`: 413 over 64 KiB, 415 unless `Content-Type` is JSON, 400 for bad JSON or
 * any field out of its rules. An absent body counts as `{}` when `emptyBodyAllowed` (e.g. cancel's optional reason).
 */
export function parseJsonBody<S extends z.ZodMiniType>(
  event: APIGatewayProxyEventV2,
  schema: S,
  { emptyBodyAllowed = false }: { emptyBodyAllowed?: boolean } = {},
): z.infer<S> {
  const raw = event.body === undefined || event.body === null ? '' : event.body;
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_BODY_BYTES) throw new PayloadTooLargeError(size, MAX_BODY_BYTES);

  let json: unknown = {};
  if (text.trim() === '') {
    if (!emptyBodyAllowed) {
      throw new ValidationError([{ field: 'body', pointer: '#', detail: 'is required: send a JSON object' }]);
    }
  } else {
    const contentType = header(event, 'content-type');
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType === undefined || !JSON_MEDIA_TYPE.test(mediaType))
      throw new UnsupportedMediaTypeError(contentType);
    try {
      json = JSON.parse(text);
    } catch (error) {
      // Not the parser's message: V8 quotes the text around the error, for a short body all of it.
      throw new ValidationError(
        [{ field: 'body', pointer: '#', detail: `is not valid JSON${positionOf(error)}` }],
        {
          cause: error,
        },
      );
    }
  }

  const result = schema.safeParse(json);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error), { cause: result.error });
  return result.data;
}

/** Where JSON.parse stopped, when its message says so: ` (at position 12)`. */
function positionOf(error: unknown): string {
  const position = error instanceof Error ? /at position (\d+)/.exec(error.message)?.[1] : undefined;
  return position === undefined ? '' : ` (at position ${position})`;
}

/** The `Idempotency-Key` header: absent means no deduplication; present, it must be 1-128 of `[A-Za-z0-9._:-]`. */
export function readIdempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const key = header(event, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError([
      {
        field: 'Idempotency-Key',
        pointer: 'header:idempotency-key',
        detail: 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"',
      },
    ]);
  }
  return key;
}

/** The `{orderId}` path parameter. An id that cannot exist is a 404 without a look-up. */
export function readOrderId(event: APIGatewayProxyEventV2): string {
  const orderId = event.pathParameters?.orderId ?? '';
  // The id as the problem (and the log) may quote it: no control characters, not a megabyte of it.
  if (!ORDER_ID_PATTERN.test(orderId)) throw new OrderNotFoundError(quotable(orderId));
  return orderId;
}
