import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { close, endpointOf, listen, readBody } from './net.js';
import type { InvokeOutcome } from './runtime/types.js';
import type { LocalRoute } from './template/model.js';

/** HTTP API's limit for a request body. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP API's maximum integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export type InvokeFunction = (functionName: string, event: unknown) => Promise<InvokeOutcome>;

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
}

export interface HttpApi {
  port: number;
  url: string;
  close(): Promise<void>;
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: LocalRoute;
  /** `undefined` for `$default`. */
  segments: Segment[] | undefined;
}

export interface RouteMatch {
  route: LocalRoute;
  pathParameters: Record<string, string> | undefined;
}

/** Headers a proxy does not forward (RFC 9110 §7.6.1): API Gateway does not pass them to the integration. */
const HOP_BY_HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function compileRoute(route: LocalRoute): CompiledRoute {
  if (route.path === '$default' || route.routeKey === '$default') return { route, segments: undefined };
  const segments = route.path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const variable = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (variable === null) return { kind: 'literal', value: part };
      const [, name = '', greedy] = variable;
      return greedy ? { kind: 'greedy', name } : { kind: 'param', name };
    });
  return { route, segments };
}

function matchSegments(pattern: Segment[], path: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    if (segment.kind === 'greedy') {
      const rest = path.slice(index).join('/');
      if (rest === '') return undefined;
      parameters[segment.name] = rest;
      return parameters;
    }
    const part = path[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal' && segment.value !== part) return undefined;
    if (segment.kind === 'param') {
      if (part === '') return undefined;
      parameters[segment.name] = part;
    }
  }
  return pattern.length === path.length ? parameters : undefined;
}

/** Literal segments beat `{param}`, which beats `{proxy+}`, left to right; then a method beats `ANY`. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const rank = (segment: Segment | undefined) =>
    segment === undefined ? -1 : segment.kind === 'literal' ? 2 : segment.kind === 'param' ? 1 : 0;
  const aSegments = a.segments ?? [];
  const bSegments = b.segments ?? [];
  for (let index = 0; index < Math.max(aSegments.length, bSegments.length); index += 1) {
    const difference = rank(bSegments[index]) - rank(aSegments[index]);
    if (difference !== 0) return difference;
  }
  return Number(a.route.method === 'ANY') - Number(b.route.method === 'ANY');
}

/**
 * Selects the route for a request the way HTTP API does: the most specific route whose method (or `ANY`) and path
 * match — literal segments before path variables before a greedy `{proxy+}` — and `$default` when none does.
 * `path` holds the decoded path segments (`/orders/o-1` → `['orders', 'o-1']`).
 */
export function selectRoute(routes: LocalRoute[], method: string, path: string[]): RouteMatch | undefined {
  const compiled = routes.map(compileRoute);
  const candidates = compiled
    .filter((candidate) => candidate.segments !== undefined)
    .filter((candidate) => candidate.route.method === 'ANY' || candidate.route.method === method)
    .flatMap((candidate) => {
      const parameters = matchSegments(candidate.segments ?? [], path);
      return parameters === undefined ? [] : [{ candidate, parameters }];
    })
    .sort((a, b) => compareSpecificity(a.candidate, b.candidate));
  const best = candidates[0];
  if (best !== undefined) {
    const hasParameters = Object.keys(best.parameters).length > 0;
    return { route: best.candidate.route, pathParameters: hasParameters ? best.parameters : undefined };
  }
  const fallback = compiled.find((candidate) => candidate.segments === undefined);
  return fallback === undefined ? undefined : { route: fallback.route, pathParameters: undefined };
}

/** Percent-decoding that leaves a malformed sequence as it was sent. */
function decodePath(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** The bodies HTTP API passes as text; every other body (or none declared) arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType.startsWith('text/') ||
    /^application\/([\w.-]+\+)?json$/.test(mediaType) ||
    mediaType === 'application/xml' ||
    mediaType === 'application/x-www-form-urlencoded' ||
    mediaType === 'application/javascript'
  );
}

/** `21/Apr/2020:15:08:21 +0000`, the format of `requestContext.time`. */
export function formatRequestTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const day = `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}`;
  return `${day}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Like `LV7fzho-PHcEJPw=`. */
function newRequestId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

function newTraceId(now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000).toString(16);
  return `Root=1-${seconds}-${randomBytes(12).toString('hex')}`;
}

function sourceIpOf(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Header names lower-cased, repeated headers joined with `,`, the `cookie` header split out into `cookies`. */
function readHeaders(request: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = (raw[index] ?? '').toLowerCase();
    const value = raw[index + 1] ?? '';
    if (HOP_BY_HOP_HEADERS.has(name)) continue;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter((cookie) => cookie !== ''),
      );
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return { headers, cookies };
}

function readQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const previous = parameters[name];
    parameters[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return parameters;
}

interface EventInput {
  request: IncomingMessage;
  body: Buffer;
  match: RouteMatch;
  /** The path as decoded, stage included. */
  rawPath: string;
  rawQueryString: string;
  localPort: number;
  apiId: string;
  accountId: string;
  region: string;
  stage: string;
  requestId: string;
  now: Date;
}

/**
 * The payload format 2.0 event HTTP API sends a Lambda integration, field for field: lower-case headers with the
 * ones API Gateway adds (`content-length`, `x-amzn-trace-id`, `x-forwarded-*`), `cookies` instead of a `cookie`
 * header, decoded `rawPath` and `queryStringParameters` (repeated values joined with `,`), the raw query string,
 * and a body that is base64-encoded unless its content type is text. Optional fields are absent, never empty.
 */
export function buildHttpApiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const { request, body, match, rawPath, rawQueryString, now } = input;
  const { headers, cookies } = readHeaders(request);
  const sourceIp = sourceIpOf(request);
  headers['content-length'] ??= String(body.length);
  headers['x-amzn-trace-id'] ??= newTraceId(now);
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-port'] = String(input.localPort);
  headers['x-forwarded-proto'] = 'http';
  const domainName = headers.host ?? `${input.apiId}.execute-api.${input.region}.amazonaws.com`;
  const text = isTextContentType(headers['content-type']);
  const queryStringParameters = readQuery(rawQueryString);
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters === undefined ? {} : { queryStringParameters }),
    ...(match.pathParameters === undefined ? {} : { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      domainName,
      domainPrefix: domainName.split(/[.:]/)[0] ?? domainName,
      http: {
        method: request.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: match.route.routeKey,
      stage: input.stage,
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length === 0 ? {} : { body: body.toString(text ? 'utf8' : 'base64') }),
    isBase64Encoded: body.length > 0 && !text,
  };
}

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
 * timeout, and an `apigw-requestid` header on every response.
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
    const body = await readBody(request, MAX_REQUEST_BODY_BYTES);
    if (body === undefined) return send(response, requestId, jsonMessage(413, 'Request Entity Too Large'));

    const inStage =
      stagePrefix === '' || encodedPath === stagePrefix || encodedPath.startsWith(`${stagePrefix}/`);
    const routePath = encodedPath.slice(stagePrefix.length) || '/';
    const segments = routePath.split('/').slice(1).map(decodePath);
    const match = inStage ? selectRoute(options.routes, request.method ?? 'GET', segments) : undefined;
    if (match === undefined) return send(response, requestId, jsonMessage(404, 'Not Found'));

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
    });
    const outcome = await withTimeout(options.invoke(match.route.functionName, event)).catch(
      (): InvokeOutcome => ({
        status: 'error',
        errorType: 'InvokeError',
        errorMessage: 'the invocation failed',
      }),
    );
    if (outcome === 'timeout') return send(response, requestId, jsonMessage(503, 'Service Unavailable'));
    send(response, requestId, toHttpResponse(outcome));
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
