import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Caller } from '../core/caller.js';
import { CORRELATION_ID_HEADER, correlationIdOf } from '../core/correlation.js';
import type { MetricName } from '../core/metric-names.js';
import {
  annotateTrace,
  logger,
  metrics,
  metricsRecorder,
  recordRefusal,
  traceHandler,
} from '../observability.js';
import { readCaller } from './caller.js';
import { isMiddyTimeout, MethodNotAllowedError, RequestTimedOutError } from './errors.js';
import { problemKindOf, toProblemResponse } from './problem.js';
import { type HttpResponse, REPLAYED_HEADER } from './responses.js';

/**
 * A route's work, given the request, its caller (the verified token's customer and scopes) and its correlation id
 * (to pass on with every event the request causes).
 */
export type HttpRoute = (
  event: APIGatewayProxyEventV2,
  context: Context,
  caller: Caller,
  correlationId: string,
) => Promise<HttpResponse>;

/** The request's correlation id: its valid `x-correlation-id` header, else API Gateway's request id. */
function correlationOf(event: APIGatewayProxyEventV2, context: Context) {
  return correlationIdOf(
    event.headers?.[CORRELATION_ID_HEADER],
    event.requestContext?.requestId ?? context.awsRequestId,
  );
}

/** A replayed answer is a replay, whatever the route; a first answer counts as what the route does. */
function countAnswer(response: HttpResponse, counts: MetricName | undefined): void {
  if (response.headers?.[REPLAYED_HEADER] === 'true') metricsRecorder.count('IdempotentReplays');
  else if (counts !== undefined) metricsRecorder.count(counts);
}

function withCorrelationHeader(response: HttpResponse, correlationId: string): HttpResponse {
  return { ...response, headers: { ...response.headers, [CORRELATION_ID_HEADER]: correlationId } };
}

/**
 * Wraps an HTTP route: Logger context first (so every later step logs with it; its cleanup runs last), with the
 * request's correlation id on every line and echoed in the `x-correlation-id` response header (errors included);
 * then the one mapping of errors to RFC 9457 problem responses. With `method`, any other method is a 405 before the
 * route runs (API Gateway routes by method; an event that got here otherwise was not made by the route). Every route
 * has a caller: an event without the JWT authorizer's claims is a 401 before the route runs.
 */
export function httpHandler(
  route: HttpRoute,
  { method, counts }: { method?: 'GET' | 'POST'; counts?: MetricName } = {},
) {
  const guarded = async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResponse> => {
    const { correlationId, rejectedHeader } = correlationOf(event, context);
    logger.appendKeys({ correlationId });
    annotateTrace({ correlationId });
    if (rejectedHeader) {
      logger.info('Ignored a malformed x-correlation-id header; the request id stands in for it');
    }
    const received = event.requestContext?.http?.method;
    if (method !== undefined && received !== method) {
      throw new MethodNotAllowedError(String(received), method);
    }
    const response = await route(event, context, readCaller(event), correlationId);
    logger.info('Request answered', { status: response.statusCode });
    countAnswer(response, counts);
    return withCorrelationHeader(response, correlationId);
  };
  return middy<APIGatewayProxyEventV2, HttpResponse>(guarded)
    .use(traceHandler())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use({
      onError: (request) => {
        const error = isMiddyTimeout(request.error)
          ? new RequestTimedOutError({ cause: request.error })
          : request.error;
        const { status, slug } = problemKindOf(error);
        if (status >= 500) metricsRecorder.count('RequestsFailed');
        else recordRefusal(slug);
        if (status >= 500) logger.error('Request failed', { error, status });
        else logger.info('Request refused', { reason: error?.message, status });
        request.response = withCorrelationHeader(
          toProblemResponse(error, {
            instance: request.event.rawPath,
            requestId: request.context.awsRequestId,
          }),
          correlationOf(request.event, request.context).correlationId,
        );
      },
    });
}
