import { afterEach, describe, expect, it } from 'vitest';
import { route, send, startApi, stopApi } from '../../support/http-api-harness.js';

afterEach(stopApi);

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
