import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Caller } from '../core/caller.js';
import { logger } from '../observability.js';
import { readCaller } from './caller.js';
import { isMiddyTimeout, MethodNotAllowedError, RequestTimedOutError } from './errors.js';
import { problemKindOf, toProblemResponse } from './problem.js';
import type { HttpResponse } from './responses.js';

/** A route's work, given the request and its caller (the verified token's customer and scopes). */
export type HttpRoute = (
  event: APIGatewayProxyEventV2,
  context: Context,
  caller: Caller,
) => Promise<HttpResponse>;

/**
 * Wraps an HTTP route: Logger context first (so every later step logs with it; its cleanup runs last), then the
 * one mapping of errors to RFC 9457 problem responses. With `method`, any other method is a 405 before the route
 * runs (API Gateway routes by method; an event that got here otherwise was not made by the route). Every route has
 * a caller: an event without the JWT authorizer's claims is a 401 before the route runs.
 */
export function httpHandler(route: HttpRoute, { method }: { method?: 'GET' | 'POST' } = {}) {
  const guarded = async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResponse> => {
    const received = event.requestContext?.http?.method;
    if (method !== undefined && received !== method) {
      throw new MethodNotAllowedError(String(received), method);
    }
    return route(event, context, readCaller(event));
  };
  return middy<APIGatewayProxyEventV2, HttpResponse>(guarded)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const error = isMiddyTimeout(request.error)
          ? new RequestTimedOutError({ cause: request.error })
          : request.error;
        const { status } = problemKindOf(error);
        if (status >= 500) logger.error('Request failed', { error, status });
        else logger.info('Request refused', { reason: error?.message, status });
        request.response = toProblemResponse(error, {
          instance: request.event.rawPath,
          requestId: request.context.awsRequestId,
        });
      },
    });
}
