import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BODY_BYTES } from '../../../local/http-api/http-api-server.js';
import { formatRequestTime } from '../../../local/http-api/payload-v2-event.js';
import { ACCOUNT_ID, route, send, startApi, stopApi } from '../../support/http-api-harness.js';

/** Real HTTP API events (see fixtures/README.md). */
const noAuthorizerSample = loadSample('apigw-v2-request-no-authorizer.json');
const jwtAuthorizerSample = loadSample('apigw-v2-request-jwt-authorizer.json');

function loadSample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
}

afterEach(stopApi);

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
