import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../observability.js';
import { problemKindOf, toProblemResponse } from './problem.js';
import type { HttpResponse } from './responses.js';

export type HttpRoute = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/**
 * Wraps an HTTP route: Logger context first (so every later step logs with it; its cleanup runs last), then the
 * one mapping of errors to RFC 9457 problem responses.
 */
export function httpHandler(route: HttpRoute) {
  return middy<APIGatewayProxyEventV2, HttpResponse>(route)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: (request) => {
        const { status } = problemKindOf(request.error);
        if (status >= 500) logger.error('Request failed', { error: request.error, status });
        else logger.info('Request refused', { reason: request.error?.message, status });
        request.response = toProblemResponse(request.error, {
          instance: request.event.rawPath,
          requestId: request.context.awsRequestId,
        });
      },
    });
}
