import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDashboardSite,
  DASHBOARD_PATH,
  LOCAL_TOKEN_PATH,
} from '../../../local/dashboard/dashboard-site.js';
import { type HttpApi, startHttpApi } from '../../../local/http-api/http-api-server.js';
import { route } from '../../support/http-api-harness.js';

let api: HttpApi;
const issued: string[] = [];

beforeAll(async () => {
  api = await startHttpApi({
    port: 0,
    routes: [route('GET /orders/{orderId}', 'getOrder')],
    region: 'eu-west-1',
    accountId: '123456789012',
    jwks: { keys: [] },
    invoke: async () => ({ status: 'ok', result: { statusCode: 200, body: '{}' } }),
    localSite: {
      home: DASHBOARD_PATH,
      ...createDashboardSite({
        mqttWs: () => 'ws://127.0.0.1:18083/mqtt',
        issueToken: async (sub) => {
          issued.push(sub);
          return `token-of-${sub}`;
        },
      }),
    },
  });
});

afterAll(async () => {
  await api?.close();
});

const at = (path: string, init?: RequestInit) => fetch(`${api.url}${path}`, { redirect: 'manual', ...init });
const askToken = (body: string, headers: Record<string, string> = {}) =>
  at(LOCAL_TOKEN_PATH, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('the dashboard the local cloud serves', () => {
  it('serves the page, its stylesheet and its script from the checkout, nothing from the internet', async () => {
    // Act
    const [page, css, script] = await Promise.all(
      ['', 'dashboard.css', 'dashboard.js'].map((asset) => at(`${DASHBOARD_PATH}${asset}`)),
    );
    const html = await page?.text();

    // Assess
    expect([page?.status, css?.status, script?.status]).toEqual([200, 200, 200]);
    expect(page?.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(css?.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(script?.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(html?.match(/(?:src|href)="[^"]*"/g)).toEqual(['href="dashboard.css"', 'src="dashboard.js"']);
    // The MQTT client is bundled into the script (its browser build), not fetched from a CDN.
    expect(await script?.text()).toContain('MqttClient');
  });

  it('tells the page where the broker’s WebSocket, the figures and the tokens are', async () => {
    // Act
    const config = await (await at(`${DASHBOARD_PATH}config.json`)).json();

    // Assess
    expect(config).toEqual({
      mqttWs: 'ws://127.0.0.1:18083/mqtt',
      pipelinePath: '/_local/pipeline',
      tokenPath: '/_local/token',
    });
  });

  it('sends a browser at the root, and at the path without its slash, to the page; an API client still gets 404', async () => {
    // Act
    const browser = await at('/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    const noSlash = await at('/_local/dashboard');
    const client = await at('/', { headers: { accept: 'application/json' } });
    const unknown = await at(`${DASHBOARD_PATH}secrets.txt`);

    // Assess
    expect([browser.status, browser.headers.get('location')]).toEqual([302, DASHBOARD_PATH]);
    expect([noSlash.status, noSlash.headers.get('location')]).toEqual([301, DASHBOARD_PATH]);
    expect([client.status, await client.json()]).toEqual([404, { message: 'Not Found' }]);
    expect([unknown.status, unknown.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
  });

  it('gives the page a token for the customer it acts as', async () => {
    // Act
    const answer = await askToken(JSON.stringify({ sub: 'cust-web' }), { origin: api.url });

    // Assess
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ token: 'token-of-cust-web', expiresIn: 3600 });
    expect(issued).toContain('cust-web');
  });

  it('refuses a token to another site’s page, to a sub that is no customerId, and to a body that is not JSON', async () => {
    // Prepare
    const before = issued.length;

    // Act
    const answers = await Promise.all([
      askToken(JSON.stringify({ sub: 'cust-web' }), { origin: 'http://evil.example' }),
      askToken(JSON.stringify({ sub: 'orders/#' })),
      askToken(JSON.stringify({})),
      askToken('sub=cust-web'),
      at(LOCAL_TOKEN_PATH),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([403, 400, 400, 400, 405]);
    const details = await Promise.all(
      answers.map(async (answer) => ((await answer.json()) as { detail: string }).detail),
    );
    expect(details[0]).toMatch(/same origin/);
    expect(details[1]).toMatch(/customerId/);
    expect(details[3]).toMatch(/must be JSON/);
    expect(answers[4]?.headers.get('allow')).toBe('POST');
    expect(issued.length).toBe(before);
  });
});
