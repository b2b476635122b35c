import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/**
 * Marks a replayed response (an idempotent command's stored one). Here, not beside the idempotency code, so that
 * what reads it (the HTTP handler's metrics) does not bring Powertools idempotency into every function.
 */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
