import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiEventOptions {
  method: HttpMethod;
  /** The path the client called, e.g. `/orders/abc/pay` (`rawPath` and `requestContext.http.path`). */
  path: string;
  /** The route that matched, e.g. `/orders/{orderId}/pay`; `routeKey` is `<method> <route>`. Defaults to `path`. */
  route?: string;
  pathParameters?: Record<string, string>;
  /** A JSON value, sent as `JSON.stringify(body)` with `content-type: application/json`. `null` is sent as `null`. */
  body?: unknown;
  /** A body sent exactly as given (malformed JSON, padding): wins over `body`. */
  rawBody?: string;
  /** Sends the body base64-encoded, as API Gateway does for binary media types. */
  base64?: boolean;
  /** Added to (or, with `undefined`, removed from) the default headers. Names are lower-cased like HTTP API does. */
  headers?: Record<string, string | undefined>;
  /**
   * The verified token's claims the JWT authorizer adds (`sub`, and `scope` space-separated); `null` for an event
   * that did not pass the authorizer. Default: the fixtures' customer, `cust_42`, with no scope.
   */
  claims?: Record<string, string> | null;
}

/** The customer of the order fixtures: the default caller of every event. */
export const DEFAULT_CALLER_ID = 'cust_42';

const API_ID = 'a1b2c3d4e5';
const DOMAIN_NAME = `${API_ID}.execute-api.us-east-1.amazonaws.com`;
const USER_AGENT = 'orderflow-tests/1.0';

let requestCounter = 0;

/**
 * A full API Gateway HTTP API (payload format 2.0) event, shaped like the events API Gateway delivers: lower-case
 * header names, `routeKey` of the matched route, `requestContext.http`, the JWT authorizer's
 * `requestContext.authorizer.jwt` (claims as strings, `scopes` null for a route that lists none), no
 * `cookies`/`queryStringParameters` when the request has none, and `body`/`pathParameters` only when present.
 */
export function apiEvent(options: ApiEventOptions): APIGatewayProxyEventV2 {
  const { method, path, route = path, pathParameters, base64 = false } = options;
  const claims = options.claims === undefined ? { sub: DEFAULT_CALLER_ID } : options.claims;
  requestCounter += 1;
  const text = bodyText(options);
  const body = text === undefined || !base64 ? text : Buffer.from(text, 'utf8').toString('base64');

  const headers: Record<string, string> = {
    accept: '*/*',
    'content-length': String(body === undefined ? 0 : Buffer.byteLength(body, 'utf8')),
    host: DOMAIN_NAME,
    'user-agent': USER_AGENT,
    'x-amzn-trace-id': `Root=1-5e9f0c65-${String(requestCounter).padStart(24, '0')}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(options.rawBody === undefined && text !== undefined ? { 'content-type': 'application/json' } : {}),
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name.toLowerCase()];
    else headers[name.toLowerCase()] = value;
  }

  const timeEpoch = 1_587_481_701_067 + requestCounter;
  return {
    version: '2.0',
    routeKey: `${method} ${route}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      ...(claims === null ? {} : { authorizer: { jwt: { claims, scopes: null } } }),
      domainName: DOMAIN_NAME,
      domainPrefix: API_ID,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: USER_AGENT },
      requestId: `req-${String(requestCounter).padStart(8, '0')}=`,
      routeKey: `${method} ${route}`,
      stage: '$default',
      time: '21/Apr/2020:15:08:21 +0000',
      timeEpoch,
    },
    ...(pathParameters === undefined ? {} : { pathParameters }),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: base64,
  };
}

function bodyText({ body, rawBody }: ApiEventOptions): string | undefined {
  if (rawBody !== undefined) return rawBody;
  return body === undefined ? undefined : JSON.stringify(body);
}

export interface LambdaContextOptions {
  functionName?: string;
  /** What `getRemainingTimeInMillis()` answers: the idempotency in-progress lock lasts this long. */
  remainingTimeInMillis?: number;
}

/** A Lambda `Context` like the one the runtime passes, with a fresh `awsRequestId`. */
export function lambdaContext({
  functionName = 'orderflow-test-handler',
  remainingTimeInMillis = 30_000,
}: LambdaContextOptions = {}): Context {
  requestCounter += 1;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2020/04/21/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => remainingTimeInMillis,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
