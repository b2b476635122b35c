import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import { close, endpointOf, listen, readBody } from '../net.js';
import { PIPELINE_STATUS_PATH } from '../pipeline-status.js';
import type { InvokeFunction, InvokeOutcome } from '../runtime/types.js';
import type { LocalRoute } from '../template/model.js';
import { authorizeRequest } from './jwt-authorizer.js';
import { buildHttpApiEvent } from './payload-v2-event.js';
import { selectRoute } from './router.js';

/** HTTP API's limit for a request body. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP API's maximum integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export interface HttpApiOptions {
  /** 0 = any free port. */
  port: number;
  routes: LocalRoute[];
  invoke: InvokeFunction;
  region: string;
  accountId: string;
  /** Defaults to a fixed 10-character id, like the ids API Gateway gives. */
  apiId?: string;
  /** `$default` (the default) serves at the root; any other stage name is the first path segment. */
  stage?: string;
  /**
   * The keys the routes' JWT authorizers verify tokens with (the local cloud's own), served at
   * `GET /.well-known/jwks.json` (a local-only path: a deployed API leaves keys to its issuer).
   */
  jwks: JSONWebKeySet;
  /**
   * `GET /_local/pipeline`'s answer (see `local/pipeline-status.ts`): routed before the API's routes. Not part of the
   * deployed API: a local-cloud-only status of the pipeline (counts, no order data), open to any origin, no token.
   */
  pipelineStatus?: () => Promise<unknown>;
  /**
   * Local-only pages under `/_local/` (the dashboard, see `local/dashboard/dashboard-site.ts`): asked first, before the
   * API's routes; `undefined` means not one of its paths. A browser asking for `/` (no route there) is sent to `home`.
   */
  localSite?: {
    home: string;
    answer(request: LocalSiteRequest): Promise<HttpResponse | undefined>;
  };
  /** Told the status of every answer of an API route (not the local-only paths): the pipeline's HTTP counter. */
  onRouteAnswered?: (statusCode: number) => void;
}

/** Where the local HTTP API serves the public keys of its tokens. */
export const JWKS_PATH = '/.well-known/jwks.json';

export interface HttpApi {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Percent-decoding that leaves a malformed sequence as it was sent. */
function decodePath(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** Like `LV7fzho-PHcEJPw=`. */
function newRequestId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

export interface LocalSiteRequest {
  method: string;
  /** Without the query string, as sent. */
  path: string;
  headers: IncomingMessage['headers'];
  body(): Promise<Buffer | undefined>;
}

/** The most a local page's request body may hold (a token request is a few bytes). */
const MAX_LOCAL_BODY_BYTES = 16 * 1024;

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const jsonMessage = (statusCode: number, message: string): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Turns a function's result into the HTTP response the way HTTP API reads payload format 2.0: an object with
 * `statusCode` is a structured response (`headers`, `cookies` as `set-cookie`, `body` decoded when
 * `isBase64Encoded`); anything else is a `200` whose `application/json` body is the result (a string as is);
 * a function error or a malformed response is a `500`.
 */
export function toHttpResponse(outcome: InvokeOutcome): HttpResponse {
  if (outcome.status === 'error') return jsonMessage(500, 'Internal Server Error');
  const { result } = outcome;
  if (!isRecord(result) || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = result;
  const valid =
    Number.isInteger(statusCode) &&
    typeof statusCode === 'number' &&
    statusCode >= 100 &&
    statusCode <= 599 &&
    isRecord(headers) &&
    Array.isArray(cookies) &&
    typeof body === 'string';
  if (!valid) return jsonMessage(500, 'Internal Server Error');
  const responseHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) responseHeaders[name.toLowerCase()] = String(value);
  if (cookies.length > 0) {
    const given = responseHeaders['set-cookie'];
    responseHeaders['set-cookie'] = [...(given === undefined ? [] : [given].flat()), ...cookies.map(String)];
  }
  return {
    statusCode,
    headers: responseHeaders,
    body: isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body),
  };
}

function withTimeout(invocation: Promise<InvokeOutcome>): Promise<InvokeOutcome | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS);
  });
  return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
}

function send(response: ServerResponse, requestId: string, reply: HttpResponse): void {
  response.statusCode = reply.statusCode;
  for (const [name, value] of Object.entries(reply.headers)) response.setHeader(name, value);
  response.setHeader('apigw-requestid', requestId);
  response.end(reply.body);
}

/**
 * The HTTP API (API Gateway v2) in front of the functions, on 127.0.0.1: routes each request to the function of
 * its most specific route with a payload format 2.0 event, and answers like API Gateway: `404 Not Found` without a
 * route, `413` over 10 MB, `500 Internal Server Error` when the function fails, `503` after the 30 s integration
 * timeout, and an `apigw-requestid` header on every response. A route behind a JWT authorizer is reached only with
 * a token the authorizer accepts (`401 Unauthorized` / `403 Forbidden` otherwise, see `authorizeRequest`), and its
 * event carries the token's claims in `requestContext.authorizer.jwt`.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const apiId = options.apiId ?? 'orderflow0';
  const stage = options.stage ?? '$default';
  const stagePrefix = stage === '$default' ? '' : `/${stage}`;
  let localPort = options.port;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const now = new Date();
    const requestId = newRequestId();
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const encodedPath = queryStart < 0 ? url : url.slice(0, queryStart);
    const rawQueryString = queryStart < 0 ? '' : (url.slice(queryStart + 1).split('#')[0] ?? '');
    // Local cloud only, not part of the deployed API: the pipeline's status, before the API's routes. It exposes no
    // order data (counts only), so it needs no token, and any origin may GET it (a dashboard page reads it).
    if (options.pipelineStatus !== undefined && encodedPath === PIPELINE_STATUS_PATH) {
      const cors = {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET',
        'cache-control': 'no-store',
      };
      if (request.method === 'OPTIONS') {
        return send(response, requestId, { statusCode: 204, headers: cors, body: Buffer.alloc(0) });
      }
      if (request.method !== 'GET') {
        const reply = jsonMessage(405, 'Method Not Allowed');
        return send(response, requestId, { ...reply, headers: { ...reply.headers, ...cors, allow: 'GET' } });
      }
      const status = await options.pipelineStatus();
      return send(response, requestId, {
        statusCode: 200,
        headers: { 'content-type': 'application/json', ...cors },
        body: Buffer.from(JSON.stringify(status)),
      });
    }
    if (options.localSite !== undefined && encodedPath.startsWith('/_local/')) {
      const reply = await options.localSite.answer({
        method: request.method ?? 'GET',
        path: encodedPath,
        headers: request.headers,
        body: () => readBody(request, MAX_LOCAL_BODY_BYTES),
      });
      if (reply !== undefined) return send(response, requestId, reply);
    }
    const body = await readBody(request, MAX_REQUEST_BODY_BYTES);
    if (body === undefined) return send(response, requestId, jsonMessage(413, 'Request Entity Too Large'));

    const inStage =
      stagePrefix === '' || encodedPath === stagePrefix || encodedPath.startsWith(`${stagePrefix}/`);
    const routePath = encodedPath.slice(stagePrefix.length) || '/';
    const segments = routePath.split('/').slice(1).map(decodePath);
    const match = inStage ? selectRoute(options.routes, request.method ?? 'GET', segments) : undefined;
    if (match === undefined && request.method === 'GET' && encodedPath === JWKS_PATH) {
      return send(response, requestId, {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(options.jwks)),
      });
    }
    const browserAtRoot =
      encodedPath === '/' && request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    if (match === undefined && browserAtRoot && options.localSite !== undefined) {
      return send(response, requestId, {
        statusCode: 302,
        headers: { location: options.localSite.home },
        body: Buffer.alloc(0),
      });
    }
    if (match === undefined) return send(response, requestId, jsonMessage(404, 'Not Found'));

    const { authorizer } = match.route;
    const decision =
      authorizer === undefined
        ? undefined
        : await authorizeRequest(authorizer, request.headers, options.jwks);
    if (decision !== undefined && !decision.allowed) {
      const reply = jsonMessage(
        decision.statusCode,
        decision.statusCode === 401 ? 'Unauthorized' : 'Forbidden',
      );
      return send(response, requestId, {
        ...reply,
        headers: { ...reply.headers, 'www-authenticate': decision.wwwAuthenticate },
      });
    }

    const event = buildHttpApiEvent({
      request,
      body,
      match,
      rawPath: decodePath(encodedPath),
      rawQueryString,
      localPort,
      apiId,
      accountId: options.accountId,
      region: options.region,
      stage,
      requestId,
      now,
      ...(decision?.allowed ? { jwt: decision.jwt } : {}),
    });
    const outcome = await withTimeout(options.invoke(match.route.functionName, event)).catch(
      (): InvokeOutcome => ({
        status: 'error',
        errorType: 'InvokeError',
        errorMessage: 'the invocation failed',
      }),
    );
    const reply = outcome === 'timeout' ? jsonMessage(503, 'Service Unavailable') : toHttpResponse(outcome);
    options.onRouteAnswered?.(reply.statusCode);
    send(response, requestId, reply);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Internal Server Error' }));
    });
  });
  localPort = await listen(server, options.port);
  return { port: localPort, url: endpointOf(localPort), close: () => close(server) };
}
