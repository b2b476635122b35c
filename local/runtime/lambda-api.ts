import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, endpointOf, listen, readBody } from '../net.js';
import type { InvokeFunction } from './types.js';

/** Lambda's limit for a synchronous request payload. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const CONFIGURATION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;
/** A configuration update is small; Lambda caps the variables at 4 KB. */
const MAX_CONFIGURATION_BYTES = 64 * 1024;
/** Variables Lambda sets itself and refuses in `Environment.Variables`. */
const RESERVED_VARIABLES = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
]);

/** What GetFunctionConfiguration reports of a function. */
export interface LocalFunctionConfiguration {
  arn: string;
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Its `Environment.Variables`. */
  environment: Readonly<Record<string, string>>;
}

/** The functions' configuration, as GetFunctionConfiguration reads it and UpdateFunctionConfiguration changes it. */
export interface FunctionConfigurations {
  get(functionName: string): LocalFunctionConfiguration;
  /**
   * Replaces the function's whole `Environment.Variables`; every invocation that starts afterwards sees them (idle
   * environments retired at once, busy ones after their invocation).
   */
  replaceEnvironment(functionName: string, variables: Readonly<Record<string, string>>): void;
}

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
  /**
   * GetFunctionConfiguration and UpdateFunctionConfiguration (its `Environment` only); without it those answer
   * `UnknownOperationException`.
   */
  configurations?: FunctionConfigurations;
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
 *
 * With `configurations`, also `GetFunctionConfiguration` (`GET /2015-03-31/functions/{name}/configuration`) and
 * `UpdateFunctionConfiguration` (`PUT` on the same path) with `Environment` only: like Lambda, the update replaces
 * the whole variable map, refuses reserved variables, and applies to every invocation that starts once it has
 * answered. Any other field is refused with 400 `InvalidParameterValueException` naming it.
 */
export async function startLambdaApi(options: LambdaApiOptions): Promise<LambdaApi> {
  const known = new Set(options.functionNames);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    response.setHeader('x-amzn-RequestId', requestId);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const configurationMatch = CONFIGURATION_PATH.exec(path);
    if (configurationMatch !== null && options.configurations !== undefined) {
      return handleConfiguration(
        request,
        response,
        functionNameOf(decodeURIComponent(configurationMatch[1] ?? '')),
        options.configurations,
      );
    }
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

  const handleConfiguration = async (
    request: IncomingMessage,
    response: ServerResponse,
    functionName: string,
    configurations: FunctionConfigurations,
  ): Promise<void> => {
    if (!known.has(functionName)) {
      return sendError(response, 404, 'ResourceNotFoundException', `Function not found: ${functionName}`);
    }
    const qualifier = new URL(request.url ?? '/', 'http://localhost').searchParams.get('Qualifier');
    if (qualifier !== null && qualifier !== '$LATEST') {
      return sendError(
        response,
        400,
        'InvalidParameterValueException',
        `The local Lambda has only $LATEST: Qualifier ${qualifier} is not supported`,
      );
    }
    if (request.method === 'GET') {
      return sendJson(response, 200, configurationOf(functionName, configurations.get(functionName)));
    }
    if (request.method !== 'PUT') {
      return sendError(
        response,
        404,
        'UnknownOperationException',
        `No Lambda operation at ${request.method} ${request.url}`,
      );
    }
    const body = await readBody(request, MAX_CONFIGURATION_BYTES);
    if (body === undefined) {
      return sendError(response, 413, 'RequestTooLargeException', 'The configuration update is too large');
    }
    const update = parseEnvironmentUpdate(body.toString('utf8'));
    if ('error' in update) return sendError(response, 400, 'InvalidParameterValueException', update.error);
    configurations.replaceEnvironment(functionName, update.variables);
    options.log(
      `lambda api: ${functionName}: environment replaced (${Object.keys(update.variables).length} variables); new invocations run in fresh environments`,
    );
    return sendJson(response, 200, configurationOf(functionName, configurations.get(functionName)));
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

/** A FunctionConfiguration as the Lambda API answers it (the fields the local Lambda knows). */
function configurationOf(functionName: string, configuration: LocalFunctionConfiguration) {
  return {
    FunctionName: functionName,
    FunctionArn: configuration.arn,
    Runtime: 'nodejs22.x',
    Handler: configuration.handler,
    Timeout: configuration.timeoutSeconds,
    MemorySize: configuration.memoryMb,
    Version: '$LATEST',
    Environment: { Variables: { ...configuration.environment } },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
  };
}

/**
 * The body of an UpdateFunctionConfiguration the local Lambda can apply: `{ Environment: { Variables } }` (no
 * `Variables`: none), every value a string, no reserved variable. Anything else is an error naming what is wrong.
 */
export function parseEnvironmentUpdate(
  text: string,
): { variables: Record<string, string> } | { error: string } {
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return { error: 'Could not parse request body into json' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { error: 'The request body must be a JSON object' };
  }
  const unsupported = Object.keys(body).filter((field) => field !== 'Environment');
  if (unsupported.length > 0) {
    return {
      error: `The local Lambda's UpdateFunctionConfiguration supports only Environment; unsupported: ${unsupported.join(', ')}`,
    };
  }
  const environment = (body as { Environment?: unknown }).Environment;
  if (environment === undefined) {
    return { error: 'Nothing to update: the local Lambda supports only Environment, and none was given' };
  }
  if (typeof environment !== 'object' || environment === null || Array.isArray(environment)) {
    return { error: 'Environment must be an object: { "Variables": { "NAME": "value" } }' };
  }
  const unsupportedInEnvironment = Object.keys(environment).filter((field) => field !== 'Variables');
  if (unsupportedInEnvironment.length > 0) {
    return {
      error: `The local Lambda supports only Environment.Variables; unsupported: ${unsupportedInEnvironment.map((field) => `Environment.${field}`).join(', ')}`,
    };
  }
  const variables = (environment as { Variables?: unknown }).Variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    return { error: 'Environment.Variables must be an object of strings' };
  }
  const entries = Object.entries(variables);
  const notStrings = entries.filter(([, value]) => typeof value !== 'string').map(([name]) => name);
  if (notStrings.length > 0) {
    return { error: `Environment.Variables must be strings; not a string: ${notStrings.join(', ')}` };
  }
  const reserved = entries.map(([name]) => name).filter((name) => RESERVED_VARIABLES.has(name));
  if (reserved.length > 0) {
    return {
      error: `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    };
  }
  return { variables: Object.fromEntries(entries) as Record<string, string> };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(body));
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
