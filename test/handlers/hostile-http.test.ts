import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { MAX_BODY_BYTES } from '../../shared/http/request.js';
import { apiEvent, type HttpMethod } from '../support/api-event.js';
import {
  captureLogs,
  type FixtureText,
  fixtureText,
  hostileCases,
  linesQuoting,
} from '../support/hostile.js';
import { createOrderBody } from '../support/order-fixtures.js';
import { invoke, type OrderHandlers, OrderWorld, useOrderWorld } from '../support/order-world.js';

// Before any import builds the logger: every entry is written, so that the tests can read what gets logged.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

/** A case of `test/fixtures/hostile/http.json` (its description says what each field means). */
interface HttpCase {
  group: string;
  name: string;
  request: {
    handler: keyof OrderHandlers;
    method?: HttpMethod;
    orderId?: FixtureText;
    headers?: Record<string, FixtureText | null>;
    body?: unknown;
    rawBody?: string;
    build?: Build;
    base64?: boolean;
  };
  marker: string | null;
  expect: { status: number; type?: string; mentions?: string; why?: string };
  note?: string;
}

type Build =
  | { nest: 'array' | 'object'; depth: number; at?: string; marker?: string }
  | { pad: number; field?: string; char?: string; marker?: string };

const ORDER_ID = '1b4e28ba-2fa1-4d2b-883f-0016d3cca427';
const CASES = hostileCases<HttpCase>('http.json');

const ROUTES: Record<keyof OrderHandlers, { method: HttpMethod; route: string; command?: string }> = {
  createOrder: { method: 'POST', route: '/orders' },
  getOrder: { method: 'GET', route: '/orders/{orderId}' },
  payOrder: { method: 'POST', route: '/orders/{orderId}/pay', command: 'pay' },
  cancelOrder: { method: 'POST', route: '/orders/{orderId}/cancel', command: 'cancel' },
};

/** The body a `build` makes: deep nesting, or a valid create body grown to an exact number of bytes. */
function built(build: Build, handler: keyof OrderHandlers): string {
  if ('nest' in build) {
    const [open, close] = build.nest === 'array' ? ['[', ']'] : ['{"a":', '}'];
    const nested = `${open.repeat(build.depth)}"${build.marker ?? ''}"${close.repeat(build.depth)}`;
    if (build.at === undefined) return nested;
    const base = handler === 'payOrder' ? { amount: 0 } : createOrderBody();
    return JSON.stringify({ ...base, [build.at]: '<nest>' }).replace('"<nest>"', nested);
  }
  const marker = build.marker ?? '';
  if (build.field === undefined) {
    const body = JSON.stringify(createOrderBody());
    return body + ' '.repeat(build.pad - Buffer.byteLength(body));
  }
  const empty = JSON.stringify({ ...createOrderBody(), [build.field]: '' });
  const room = build.pad - Buffer.byteLength(empty) - Buffer.byteLength(marker);
  const char = build.char ?? 'x';
  const width = Buffer.byteLength(char);
  const filler = char.repeat(Math.floor(room / width)) + 'x'.repeat(room % width);
  return JSON.stringify({ ...createOrderBody(), [build.field]: filler + marker });
}

function eventOf({ request }: HttpCase): { event: APIGatewayProxyEventV2; rawBody: string | undefined } {
  const route = ROUTES[request.handler];
  const orderId = request.orderId === undefined ? ORDER_ID : fixtureText(request.orderId);
  const path = route.route.replace('{orderId}', orderId);
  const rawBody =
    request.build !== undefined
      ? built(request.build, request.handler)
      : (request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body)));
  const headers: Record<string, string | undefined> =
    rawBody === undefined ? {} : { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    headers[name] = value === null ? undefined : fixtureText(value);
  }
  const event = apiEvent({
    method: request.method ?? route.method,
    path,
    route: route.route,
    ...(route.route.includes('{orderId}') ? { pathParameters: { orderId } } : {}),
    ...(rawBody === undefined ? {} : { rawBody }),
    ...(request.base64 === true ? { base64: true } : {}),
    headers,
  });
  return { event, rawBody };
}

const world = new OrderWorld();
const handlers = useOrderWorld(world);
const logs = captureLogs();

describe('hostile HTTP requests (test/fixtures/hostile/http.json)', () => {
  it('holds at least 60 cases, each named once, with a marker that is really in its request', () => {
    // Prepare
    const names = CASES.map((hostile) => hostile.name);

    // Act
    const missingMarkers = CASES.filter(
      (hostile) =>
        hostile.marker !== null && !JSON.stringify(eventOf(hostile).event).includes(hostile.marker),
    ).map((hostile) => hostile.name);

    // Assess
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(names).size).toBe(names.length);
    expect(missingMarkers).toEqual([]);
  });

  it('builds the size cases to the byte around the 64 KiB limit', () => {
    // Prepare
    const sized = CASES.filter(
      (hostile) => hostile.request.build !== undefined && 'pad' in hostile.request.build,
    );

    // Act
    const sizes = sized.map((hostile) => Buffer.byteLength(eventOf(hostile).rawBody ?? ''));

    // Assess
    expect(sizes).toEqual([
      MAX_BODY_BYTES - 1,
      MAX_BODY_BYTES,
      MAX_BODY_BYTES + 1,
      MAX_BODY_BYTES + 1,
      MAX_BODY_BYTES - 1,
      MAX_BODY_BYTES + 1,
    ]);
  });

  const refused = CASES.filter((hostile) => hostile.expect.status < 500 && hostile.expect.type !== undefined);
  it.each(refused.map((hostile) => [`${hostile.group}: ${hostile.name}`, hostile] as const))(
    'refuses %s with a 4xx problem that says why, before any SDK call',
    async (_name, hostile) => {
      // Prepare
      const { event } = eventOf(hostile);
      const handler = handlers[hostile.request.handler];

      // Act
      const answer = invoke(handler, event);

      // Assess
      await expect(answer).resolves.toBeDefined();
      const response = await answer;
      expect(response.statusCode).toBe(hostile.expect.status);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body).toMatchObject({
        type: `/problems/${hostile.expect.type}`,
        status: hostile.expect.status,
        title: expect.any(String),
        detail: expect.any(String),
      });
      const { title, detail, errors } = response.body;
      expect(`${String(title)} ${String(detail)} ${JSON.stringify(errors ?? [])}`).toContain(
        hostile.expect.mentions,
      );
      expect(world.timeline()).toEqual([]);
      expect(linesQuoting(logs.lines, 'Request refused')).toHaveLength(1);
      expectNothingLeaked(hostile, response.rawBody);
    },
  );

  const accepted = CASES.filter((hostile) => hostile.expect.type === undefined);
  it.each(accepted.map((hostile) => [`${hostile.group}: ${hostile.name}`, hostile] as const))(
    'takes %s, which is valid, as an order',
    async (_name, hostile) => {
      // Prepare
      const { event } = eventOf(hostile);

      // Act
      const response = await invoke(handlers[hostile.request.handler], event);

      // Assess
      expect(hostile.expect.why).toEqual(expect.any(String));
      expect(response.statusCode).toBe(hostile.expect.status);
      expect(response.body).toMatchObject({
        customerId: 'cust_42',
        status: 'PLACED',
        total: expect.any(Number),
      });
      expect(world.publishedEvents()).toHaveLength(1);
      expectNothingLeaked(hostile, response.rawBody);
    },
  );
});

/** No log line quotes the case's marker or its whole body; nothing pollutes prototypes; no rejection went unhandled. */
function expectNothingLeaked(hostile: HttpCase, responseBody: string): void {
  const { rawBody } = eventOf(hostile);
  if (hostile.marker !== null) {
    expect(linesQuoting(logs.lines, hostile.marker)).toEqual([]);
    if (hostile.expect.status !== 404) expect(responseBody).not.toContain(hostile.marker);
  }
  if (rawBody !== undefined && rawBody.length >= 16) expect(linesQuoting(logs.lines, rawBody)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(logs.rejections).toEqual([]);
}
