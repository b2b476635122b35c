import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatRequestTime,
  type HttpApi,
  MAX_REQUEST_BODY_BYTES,
  startHttpApi,
} from '../../local/http-api.js';
import type { InvokeOutcome } from '../../local/runtime/types.js';
import type { LocalRoute } from '../../local/template/model.js';

const ACCOUNT_ID = '123456789012';

/** Real HTTP API events (see fixtures/README.md). */
const noAuthorizerSample = loadSample('apigw-v2-request-no-authorizer.json');
const jwtAuthorizerSample = loadSample('apigw-v2-request-jwt-authorizer.json');

function loadSample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

function route(routeKey: string, functionName: string): LocalRoute {
  const [method = 'ANY', path = '$default'] = routeKey === '$default' ? [] : routeKey.split(' ');
  return { routeKey, method, path, functionName, payloadFormatVersion: '2.0' };
}

interface Invocation {
  functionName: string;
  event: APIGatewayProxyEventV2;
}

let api: HttpApi | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Starts the router with a fake invoke that records each event and answers with `answer`. */
async function startApi(
  routes: LocalRoute[],
  answer: (invocation: Invocation) => InvokeOutcome | Promise<InvokeOutcome> = ({ functionName }) => ({
    status: 'ok',
    result: { statusCode: 200, body: functionName },
  }),
): Promise<{ api: HttpApi; invocations: Invocation[] }> {
  const invocations: Invocation[] = [];
  api = await startHttpApi({
    port: 0,
    routes,
    region: 'eu-west-1',
    accountId: ACCOUNT_ID,
    invoke: async (functionName, event) => {
      const invocation = { functionName, event: event as APIGatewayProxyEventV2 };
      invocations.push(invocation);
      return answer(invocation);
    },
  });
  return { api, invocations };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with exactly these headers (plus `host`), the way curl sends one. */
function send(
  url: string,
  {
    method = 'GET',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The shape of a JSON value: the same keys at every level, `typeof` at the leaves. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, nested]) => [key, shapeOf(nested)]),
    );
  }
  return typeof value;
}

/** `sample` without the parts a request of this router cannot have (named with why). */
function withoutKeys(sample: Record<string, unknown>, topLevel: string[], inRequestContext: string[]) {
  const copy = structuredClone(sample);
  for (const key of topLevel) delete copy[key];
  const requestContext = copy.requestContext as Record<string, unknown>;
  for (const key of inRequestContext) delete requestContext[key];
  return copy;
}

describe('startHttpApi: the event', () => {
  it('builds the same event as HTTP API for a plain GET, field by field', async () => {
    // Prepare
    const { api, invocations } = await startApi([route('$default', 'catchAll')]);
    const before = Date.now();

    // Act
    const response = await send(`${api.url}/`, { headers: { accept: '*/*', 'user-agent': 'curl/7.58.0' } });

    // Assess
    const [invocation] = invocations;
    if (invocation === undefined) throw new Error('the function was not invoked');
    const { event } = invocation;
    const { headers, ...rest } = event;
    // `authentication` is only there with mutual TLS, which the local HTTP API does not do.
    const { headers: sampleHeaders, ...sampleRest } = withoutKeys(noAuthorizerSample, [], ['authentication']);
    expect(shapeOf(rest)).toEqual(shapeOf(sampleRest));
    expect(Object.keys(headers).sort()).toEqual(Object.keys(sampleHeaders as object).sort());
    expect(shapeOf(headers)).toEqual(shapeOf(sampleHeaders));
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: '',
      isBase64Encoded: false,
      headers: {
        accept: '*/*',
        'content-length': '0',
        'user-agent': 'curl/7.58.0',
        'x-forwarded-proto': 'http',
      },
      requestContext: {
        accountId: ACCOUNT_ID,
        http: {
          method: 'GET',
          path: '/',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/7.58.0',
        },
        requestId: response.headers['apigw-requestid'],
        routeKey: '$default',
        stage: '$default',
      },
    });
    expect(headers['x-forwarded-for']).toBe(event.requestContext.http.sourceIp);
    expect(headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.requestContext.requestId).toMatch(/^[\w-]{15}=$/);
    expect(event.requestContext.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(event.requestContext.timeEpoch).toBeLessThanOrEqual(Date.now());
    expect(event.requestContext.time).toBe(formatRequestTime(new Date(event.requestContext.timeEpoch)));
  });

  it('formats requestContext.time like HTTP API', () => {
    // Act
    const time = formatRequestTime(new Date(1_587_481_701_067));

    // Assess
    expect(time).toBe((noAuthorizerSample.requestContext as { time: string }).time);
  });

  it('builds the same query, cookies, path parameters and body as HTTP API for the same request', async () => {
    // Prepare
    const { api, invocations } = await startApi([route('GET /my/{proxy+}', 'proxy')]);
    const body = Buffer.from(jwtAuthorizerSample.body as string);

    // Act
    await send(`${api.url}/my/hello/world?${jwtAuthorizerSample.rawQueryString}`, {
      headers: {
        Header1: 'value1',
        Header2: 'value2',
        Cookie: 'cookie1; cookie2',
        'Content-Type': 'application/json',
        'Content-Length': String(body.length),
      },
      body,
    });

    // Assess
    const [invocation] = invocations;
    if (invocation === undefined) throw new Error('the function was not invoked');
    const { event } = invocation;
    // No JWT authorizer, no mutual TLS and no stage variables locally; headers are compared on their own.
    const sample = withoutKeys(
      jwtAuthorizerSample,
      ['stageVariables', 'headers'],
      ['authorizer', 'authentication'],
    );
    const { headers, ...rest } = event;
    expect(shapeOf(rest)).toEqual(shapeOf(sample));
    expect(event).toMatchObject({
      routeKey: 'GET /my/{proxy+}',
      rawPath: '/my/hello/world',
      rawQueryString: jwtAuthorizerSample.rawQueryString,
      queryStringParameters: jwtAuthorizerSample.queryStringParameters,
      cookies: jwtAuthorizerSample.cookies,
      pathParameters: jwtAuthorizerSample.pathParameters,
      body: jwtAuthorizerSample.body,
      isBase64Encoded: false,
      requestContext: { routeKey: 'GET /my/{proxy+}', http: { path: '/my/hello/world' } },
    });
    expect(headers).toMatchObject({ header1: 'value1', header2: 'value2' });
    expect(headers).not.toHaveProperty('cookie');
    expect(Object.keys(headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
  });

  it('joins repeated headers and query parameters with commas and decodes them', async () => {
    // Prepare
    const { api, invocations } = await startApi([route('GET /search', 'search')]);

    // Act
    await send(`${api.url}/search?tag=a%20b&tag=c&empty`, { headers: { 'x-tag': ['one', 'two'] } });

    // Assess
    expect(invocations[0]?.event).toMatchObject({
      rawQueryString: 'tag=a%20b&tag=c&empty',
      queryStringParameters: { tag: 'a b,c', empty: '' },
      headers: { 'x-tag': 'one,two' },
    });
  });

  it('leaves out queryStringParameters, pathParameters, cookies and body when the request has none', async () => {
    // Prepare
    const { api, invocations } = await startApi([route('GET /orders', 'listOrders')]);

    // Act
    await send(`${api.url}/orders`, {});

    // Assess
    expect(Object.keys(invocations[0]?.event ?? {}).sort()).toEqual([
      'headers',
      'isBase64Encoded',
      'rawPath',
      'rawQueryString',
      'requestContext',
      'routeKey',
      'version',
    ]);
  });

  it.each([
    ['application/json', '{"orderId":"o-1"}'],
    ['application/json; charset=utf-8', '{"note":"crème brûlée"}'],
    ['application/problem+json', '{"title":"x"}'],
    ['text/plain', 'plain text'],
    ['application/x-www-form-urlencoded', 'a=1&b=2'],
    ['application/xml', '<order/>'],
  ])('passes a %s body as text', async (contentType, text) => {
    // Prepare
    const { api, invocations } = await startApi([route('POST /orders', 'createOrder')]);

    // Act
    await send(`${api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: Buffer.from(text),
    });

    // Assess
    expect(invocations[0]?.event).toMatchObject({ body: text, isBase64Encoded: false });
  });

  it.each([['application/octet-stream'], ['image/png'], [undefined]])(
    'passes a %s body base64-encoded',
    async (contentType) => {
      // Prepare
      const { api, invocations } = await startApi([route('POST /orders', 'createOrder')]);
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);

      // Act
      await send(`${api.url}/orders`, {
        method: 'POST',
        headers: contentType === undefined ? {} : { 'content-type': contentType },
        body: bytes,
      });

      // Assess
      expect(invocations[0]?.event).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    },
  );

  it('refuses a body over 10 MB with 413 without invoking the function', async () => {
    // Prepare
    const { api, invocations } = await startApi([route('POST /orders', 'createOrder')]);

    // Act
    const response = await send(`${api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1, 0x20),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Request Entity Too Large' });
    expect(invocations).toEqual([]);
  });
});

describe('startHttpApi: routing', () => {
  const routes = [
    route('GET /orders', 'listOrders'),
    route('POST /orders', 'createOrder'),
    route('GET /orders/{orderId}', 'getOrder'),
    route('GET /orders/special', 'getSpecialOrder'),
    route('POST /orders/{orderId}/pay', 'payOrder'),
    route('ANY /files/{proxy+}', 'files'),
    route('ANY /files/readme', 'readme'),
    route('GET /things', 'getThings'),
    route('ANY /things', 'anyThings'),
  ];

  it.each([
    ['GET', '/orders', 'listOrders', undefined],
    ['POST', '/orders', 'createOrder', undefined],
    ['GET', '/orders/o-1', 'getOrder', { orderId: 'o-1' }],
    ['GET', '/orders/special', 'getSpecialOrder', undefined],
    ['POST', '/orders/o-1/pay', 'payOrder', { orderId: 'o-1' }],
    ['GET', '/orders/a%20b', 'getOrder', { orderId: 'a b' }],
    ['DELETE', '/files/a/b/c', 'files', { proxy: 'a/b/c' }],
    ['GET', '/files/readme', 'readme', undefined],
    ['GET', '/things', 'getThings', undefined],
    ['PATCH', '/things', 'anyThings', undefined],
  ])('routes %s %s to %s', async (method, path, functionName, pathParameters) => {
    // Prepare
    const { api, invocations } = await startApi(routes);

    // Act
    const response = await send(`${api.url}${path}`, { method });

    // Assess
    expect(response.status).toBe(200);
    expect(invocations.map((invocation) => invocation.functionName)).toEqual([functionName]);
    expect(invocations[0]?.event.pathParameters).toEqual(pathParameters);
  });

  it.each([
    ['GET', '/nowhere'],
    ['DELETE', '/orders/o-1'],
    ['GET', '/orders/o-1/pay'],
    ['GET', '/orders/'],
    ['GET', '/files'],
  ])('answers %s %s with 404 Not Found', async (method, path) => {
    // Prepare
    const { api, invocations } = await startApi(routes);

    // Act
    const response = await send(`${api.url}${path}`, { method });

    // Assess
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Not Found' });
    expect(response.headers['apigw-requestid']).toEqual(expect.any(String));
    expect(invocations).toEqual([]);
  });

  it('sends what no route matches to $default, and only that', async () => {
    // Prepare
    const { api, invocations } = await startApi([...routes, route('$default', 'catchAll')]);

    // Act
    await send(`${api.url}/nowhere`, { method: 'PUT' });
    await send(`${api.url}/orders`, {});

    // Assess
    expect(invocations.map((invocation) => [invocation.functionName, invocation.event.routeKey])).toEqual([
      ['catchAll', '$default'],
      ['listOrders', 'GET /orders'],
    ]);
  });
});

describe('startHttpApi: the response', () => {
  async function respondWith(outcome: InvokeOutcome | (() => Promise<InvokeOutcome>)): Promise<RawResponse> {
    const { api } = await startApi([route('POST /orders', 'createOrder')], () =>
      typeof outcome === 'function' ? outcome() : outcome,
    );
    return send(`${api.url}/orders`, { method: 'POST' });
  }

  it('maps a structured result to status, headers, cookies and body', async () => {
    // Act
    const response = await respondWith({
      status: 'ok',
      result: {
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', location: '/orders/o-1', 'x-retry': 3 },
        cookies: ['session=abc; Path=/; HttpOnly', 'theme=dark'],
        body: '{"orderId":"o-1"}',
      },
    });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      location: '/orders/o-1',
      'x-retry': '3',
      'set-cookie': ['session=abc; Path=/; HttpOnly', 'theme=dark'],
      'apigw-requestid': expect.stringMatching(/^[\w-]{15}=$/),
    });
    expect(response.body.toString()).toBe('{"orderId":"o-1"}');
  });

  it('decodes a base64-encoded body', async () => {
    // Prepare
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff]);

    // Act
    const response = await respondWith({
      status: 'ok',
      result: {
        statusCode: 200,
        headers: { 'content-type': 'image/png' },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      },
    });

    // Assess
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.body.equals(bytes)).toBe(true);
  });

  it.each([
    ['an object without statusCode', { orderId: 'o-1' }, '{"orderId":"o-1"}'],
    ['an array', [1, 2], '[1,2]'],
    ['a string', 'Hello from Lambda!', 'Hello from Lambda!'],
    ['a number', 42, '42'],
  ])('answers %s with 200 and the result as application/json', async (_, result, body) => {
    // Act
    const response = await respondWith({ status: 'ok', result });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.toString()).toBe(body);
  });

  it.each([
    ['a function error', { status: 'error', errorType: 'Error', errorMessage: 'boom' } as const],
    [
      'a timeout',
      { status: 'error', errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' } as const,
    ],
    ['a malformed status code', { status: 'ok', result: { statusCode: 'created' } } as const],
    ['a body that is not a string', { status: 'ok', result: { statusCode: 200, body: { a: 1 } } } as const],
  ])('answers %s with 500 Internal Server Error', async (_, outcome) => {
    // Act
    const response = await respondWith(outcome);

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 500 when the invocation itself fails', async () => {
    // Act
    const response = await respondWith(() => Promise.reject(new Error('Function not found: createOrder')));

    // Assess
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal Server Error' });
  });
});
