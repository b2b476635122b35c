import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PIPELINE_STATUS_PATH } from '../pipeline-status.js';

/** Where the local cloud serves the dashboard page, on the HTTP API's port. */
export const DASHBOARD_PATH = '/_local/dashboard/';
/** Where the page asks for a token of the local issuer (same origin only). */
export const LOCAL_TOKEN_PATH = '/_local/token';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
/** `customerId`'s rule: a token's `sub` is the customer it may act as. */
const SUB_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN_LIFETIME_SECONDS = 3600;

export interface SiteRequest {
  method: string;
  /** The path without the query string, as sent. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Read only for `POST /_local/token`. */
  body: () => Promise<Buffer | undefined>;
}

export interface SiteResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface DashboardSiteOptions {
  /** The broker's MQTT-over-WebSocket URL, e.g. `ws://127.0.0.1:8083/mqtt`. */
  mqttWs: () => string;
  /** A token the HTTP API accepts for `sub` (the template's issuer and audience, the cloud's key). */
  issueToken: (sub: string) => Promise<string>;
}

export interface DashboardSite {
  /** The answer to a request of the dashboard's paths, or `undefined` when the path is not one of them. */
  answer(request: SiteRequest): Promise<SiteResponse | undefined>;
}

const problem = (status: number, title: string, detail: string): SiteResponse => ({
  statusCode: status,
  headers: { 'content-type': 'application/problem+json' },
  body: Buffer.from(JSON.stringify({ type: 'about:blank', title, status, detail })),
});

const file = (contentType: string, body: Buffer | string): SiteResponse => ({
  statusCode: 200,
  headers: { 'content-type': contentType, 'cache-control': 'no-cache' },
  body: Buffer.from(body),
});

/**
 * Bundles the page's script with the MQTT client (the `mqtt` package's browser build) in memory, once: no build step
 * to run by hand and no asset from the internet.
 */
async function bundlePage(): Promise<Buffer> {
  const result = await build({
    entryPoints: [join(PAGE_DIR, 'dashboard.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild wrote no bundle of the dashboard page');
  return Buffer.from(output.contents);
}

/** Whether a browser request came from another site (a page elsewhere may not mint tokens of the local issuer). */
function crossOrigin(headers: SiteRequest['headers']): boolean {
  const origin = headers.origin;
  if (origin === undefined) return false;
  const host = headers.host;
  return typeof origin !== 'string' || origin !== `http://${String(host)}`;
}

async function answerTokenRequest(
  request: SiteRequest,
  options: DashboardSiteOptions,
): Promise<SiteResponse> {
  if (request.method !== 'POST') {
    return {
      ...problem(405, 'Method Not Allowed', 'POST a JSON body { "sub": "<customerId>" }.'),
      headers: { allow: 'POST', 'content-type': 'application/problem+json' },
    };
  }
  if (crossOrigin(request.headers)) {
    return problem(
      403,
      'Forbidden',
      'Tokens of the local issuer are given to the dashboard page only (same origin).',
    );
  }
  let sub: unknown;
  try {
    sub = (JSON.parse((await request.body())?.toString('utf8') ?? '') as { sub?: unknown }).sub;
  } catch {
    return problem(400, 'Bad Request', 'The body must be JSON: { "sub": "<customerId>" }.');
  }
  if (typeof sub !== 'string' || !SUB_PATTERN.test(sub)) {
    return problem(400, 'Bad Request', '"sub" must be a customerId: 1 to 64 of A-Z, a-z, 0-9, "_" and "-".');
  }
  const token = await options.issueToken(sub);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: Buffer.from(JSON.stringify({ token, expiresIn: TOKEN_LIFETIME_SECONDS })),
  };
}

/**
 * The dashboard the local cloud serves beside its HTTP API (local only, not part of the deployed stack): the page,
 * its stylesheet and script (bundled on first request), `config.json` with the broker's WebSocket URL, and
 * `POST /_local/token`, which gives the page a token for the customer it acts as, as `npm run token` does.
 */
export function createDashboardSite(options: DashboardSiteOptions): DashboardSite {
  let bundle: Promise<Buffer> | undefined;
  const assets: Record<string, () => Promise<SiteResponse>> = {
    '': async () => file('text/html; charset=utf-8', await readFile(join(PAGE_DIR, 'index.html'))),
    'dashboard.css': async () =>
      file('text/css; charset=utf-8', await readFile(join(PAGE_DIR, 'dashboard.css'))),
    'dashboard.js': async () => {
      bundle ??= bundlePage();
      return file('text/javascript; charset=utf-8', await bundle);
    },
    'config.json': async () =>
      file(
        'application/json',
        JSON.stringify({
          mqttWs: options.mqttWs(),
          pipelinePath: PIPELINE_STATUS_PATH,
          tokenPath: LOCAL_TOKEN_PATH,
        }),
      ),
  };
  return {
    async answer(request) {
      if (request.path === LOCAL_TOKEN_PATH) return answerTokenRequest(request, options);
      if (request.path === DASHBOARD_PATH.slice(0, -1)) {
        return { statusCode: 301, headers: { location: DASHBOARD_PATH }, body: Buffer.alloc(0) };
      }
      if (!request.path.startsWith(DASHBOARD_PATH)) return undefined;
      const asset = assets[request.path.slice(DASHBOARD_PATH.length)];
      if (asset === undefined) return problem(404, 'Not Found', `The dashboard has no ${request.path}.`);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return {
          ...problem(405, 'Method Not Allowed', 'The dashboard is read with GET.'),
          headers: { allow: 'GET, HEAD', 'content-type': 'application/problem+json' },
        };
      }
      return asset();
    },
  };
}
