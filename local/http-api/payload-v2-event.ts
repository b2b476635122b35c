import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { JwtAuthorizerContext } from './jwt-authorizer.js';
import type { RouteMatch } from './router.js';

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

/** What one request gives its event: the request, where it arrived, and the ids API Gateway would give it. */
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
  /** What the route's JWT authorizer verified; absent on a route without one. */
  jwt?: JwtAuthorizerContext;
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
      ...(input.jwt === undefined ? {} : { authorizer: { jwt: input.jwt } }),
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
