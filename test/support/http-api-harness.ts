import { request as httpRequest } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { JSONWebKeySet } from 'jose';
import { type HttpApi, startHttpApi } from '../../local/http-api/http-api-server.js';
import type { InvokeOutcome } from '../../local/runtime/types.js';
import type { LocalRoute } from '../../local/template/model.js';

/** What the HTTP API tests share: routes, a server with a fake invoke, and raw requests to it. */

/** The account the server under test answers for. */
export const ACCOUNT_ID = '123456789012';

/** A route as provisioning makes it from a route key (`GET /orders/{orderId}`, `$default`). */
export function route(routeKey: string, functionName: string): LocalRoute {
  const [method = 'ANY', path = '$default'] = routeKey === '$default' ? [] : routeKey.split(' ');
  return { routeKey, method, path, functionName, payloadFormatVersion: '2.0' };
}

export interface Invocation {
  functionName: string;
  event: APIGatewayProxyEventV2;
}

let api: HttpApi | undefined;

/** Stops the server `startApi` started (each test file runs it after each test). */
export async function stopApi(): Promise<void> {
  await api?.close();
  api = undefined;
}

/**
 * Starts the router with a fake invoke that records each event and answers with `answer`; its JWT authorizers
 * trust the keys of `jwks` (none by default).
 */
export async function startApi(
  routes: LocalRoute[],
  answer: (invocation: Invocation) => InvokeOutcome | Promise<InvokeOutcome> = ({ functionName }) => ({
    status: 'ok',
    result: { statusCode: 200, body: functionName },
  }),
  jwks: JSONWebKeySet = { keys: [] },
): Promise<{ api: HttpApi; invocations: Invocation[] }> {
  const invocations: Invocation[] = [];
  api = await startHttpApi({
    port: 0,
    routes,
    region: 'eu-west-1',
    accountId: ACCOUNT_ID,
    jwks,
    invoke: async (functionName, event) => {
      const invocation = { functionName, event: event as APIGatewayProxyEventV2 };
      invocations.push(invocation);
      return answer(invocation);
    },
  });
  return { api, invocations };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with exactly these headers (plus `host`), the way curl sends one. */
export function send(
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
