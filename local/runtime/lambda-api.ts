import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, endpointOf, listen, readBody } from '../net.js';
import type { InvokeFunction } from './types.js';

/** Lambda's limit for a synchronous request payload. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface LambdaApiOptions {
  /** 0 = any free port. */
  port: number;
  /** The deployed names of the functions it serves (`orderflow-local-aggregateAnalytics`). */
  functionNames: readonly string[];
  invoke: InvokeFunction;
  /**
   * Lambda's asynchronous invoke (retries, maximum event age, on-failure destination) for `Event` invocations;
   * without it an `Event` invocation is one attempt, its failure only logged.
   */
  invokeAsync?: (functionName: string, event: unknown) => unknown;
  /** Where an `Event` invocation's failure is reported (nobody waits for it). */
  log: (line: string) => void;
}

export interface LambdaApi {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * The part of the Lambda API that tools call: `Invoke` (`POST /2015-03-31/functions/{name}/invocations`), with a
 * function name or ARN, and `X-Amz-Invocation-Type` `RequestResponse` (the default), `Event` or `DryRun`. It answers
 * like Lambda: the function's result with status 200; a function error as status 200 with `X-Amz-Function-Error:
 * Unhandled` and `{ errorType, errorMessage }`; an unknown function as 404 `ResourceNotFoundException`; a body that
 * is not JSON as 400 `InvalidRequestContentException`. So `aws lambda invoke --endpoint-url` and the SDK's
 * `LambdaClient` reach the local functions the way they reach deployed ones.
 */
export async function startLambdaApi(options: LambdaApiOptions): Promise<LambdaApi> {
  const known = new Set(options.functionNames);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    response.setHeader('x-amzn-RequestId', requestId);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const match = INVOKE_PATH.exec(path);
    if (request.method !== 'POST' || match === null) {
      return sendError(
        response,
        404,
        'UnknownOperationException',
        `No Lambda operation at ${request.method} ${path}`,
      );
    }
    const functionName = functionNameOf(decodeURIComponent(match[1] ?? ''));
    if (!known.has(functionName)) {
      return sendError(response, 404, 'ResourceNotFoundException', `Function not found: ${functionName}`);
    }
    const body = await readBody(request, MAX_REQUEST_BYTES);
    if (body === undefined) {
      return sendError(
        response,
        413,
        'RequestTooLargeException',
        'Request must be smaller than 6291456 bytes',
      );
    }
    let event: unknown;
    try {
      event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(
        response,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
      );
    }

    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') return sendStatus(response, 204);
    if (invocationType === 'Event' && options.invokeAsync !== undefined) {
      options.invokeAsync(functionName, event);
      return sendStatus(response, 202);
    }
    if (invocationType === 'Event') {
      options.invoke(functionName, event).then(
        (outcome) => {
          if (outcome.status === 'error') {
            options.log(
              `lambda api: ${functionName} (Event) failed: ${outcome.errorType}: ${outcome.errorMessage}`,
            );
          }
        },
        (error: unknown) => options.log(`lambda api: ${functionName} (Event) failed: ${error}`),
      );
      return sendStatus(response, 202);
    }
    if (invocationType !== 'RequestResponse') {
      return sendError(
        response,
        400,
        'InvalidParameterValueException',
        `Unknown invocation type ${invocationType}`,
      );
    }

    const outcome = await options.invoke(functionName, event);
    response.setHeader('X-Amz-Executed-Version', '$LATEST');
    response.setHeader('content-type', 'application/json');
    if (outcome.status === 'error') {
      response.setHeader('X-Amz-Function-Error', 'Unhandled');
      response.statusCode = 200;
      response.end(JSON.stringify({ errorType: outcome.errorType, errorMessage: outcome.errorMessage }));
      return;
    }
    response.statusCode = 200;
    response.end(JSON.stringify(outcome.result ?? null));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'ServiceException', String(error));
      else response.end();
    });
  });
  const port = await listen(server, options.port);
  return { port, url: endpointOf(port), close: () => close(server) };
}

/** A function's name from a name, an ARN or a partial ARN, without a `$LATEST` qualifier. */
export function functionNameOf(nameOrArn: string): string {
  const afterFunction = nameOrArn.includes('function:') ? (nameOrArn.split('function:')[1] ?? '') : nameOrArn;
  return afterFunction.split(':')[0] ?? '';
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  response.statusCode = status;
  response.setHeader('x-amzn-ErrorType', type);
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ Type: 'User', message }));
}

function sendStatus(response: ServerResponse, status: number): void {
  response.statusCode = status;
  response.end();
}
