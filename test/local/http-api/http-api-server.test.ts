import { afterEach, describe, expect, it } from 'vitest';
import type { InvokeOutcome } from '../../../local/runtime/types.js';
import { type RawResponse, route, send, startApi, stopApi } from '../../support/http-api-harness.js';

afterEach(stopApi);

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
