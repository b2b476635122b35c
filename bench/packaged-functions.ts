import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractArtifact } from '../local/runtime/artifacts.js';
import type { FunctionRole } from './results.js';

/** A function of the packaged stack, as the benchmark runs it: its bundle extracted from the zip Lambda would get. */
export interface PackagedFunction {
  /** Its name in serverless.yml, e.g. `createOrder`. */
  name: string;
  role: FunctionRole;
  /** `functions/create-order.handler` */
  handler: string;
  /** The source entry, e.g. `functions/create-order.ts` (what esbuild built the bundle from). */
  entry: string;
  /** Absolute path of the extracted bundle, e.g. `<dir>/createOrder/functions/create-order.js`. */
  bundlePath: string;
  /** The export Lambda calls: `handler`. */
  handlerExport: string;
  /** `Environment.Variables` of its template entry (plain strings in the `local` stage). */
  environment: Record<string, string>;
}

interface StateFunction {
  handler?: unknown;
  events?: unknown[];
}

/**
 * Every function of a `serverless package` output, each zip extracted into `extractDir/<name>/` the way Lambda
 * unpacks it: the bundles measured are the bundles deployed. The esbuild options come with them
 * (`custom.esbuild` of serverless.yml, as the package's `serverless-state.json` recorded it).
 */
export async function readPackagedFunctions(
  packageDir: string,
  extractDir: string,
): Promise<{ functions: PackagedFunction[]; esbuildOptions: Record<string, unknown> }> {
  const state = JSON.parse(await readFile(join(packageDir, 'serverless-state.json'), 'utf8')) as {
    service: { functions: Record<string, StateFunction>; custom?: { esbuild?: Record<string, unknown> } };
  };
  const template = JSON.parse(
    await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const functions: PackagedFunction[] = [];
  for (const [name, declared] of Object.entries(state.service.functions)) {
    if (typeof declared.handler !== 'string')
      throw new Error(`${name} has no handler in serverless-state.json`);
    const handler = declared.handler;
    const dot = handler.lastIndexOf('.');
    const modulePath = handler.slice(0, dot);
    const root = await extractArtifact(join(packageDir, `${name}.zip`), join(extractDir, name));
    functions.push({
      name,
      role: roleOf(declared.events ?? []),
      handler,
      entry: `${modulePath}.ts`,
      bundlePath: join(root, `${modulePath}.js`),
      handlerExport: handler.slice(dot + 1),
      environment: environmentOf(template.Resources, name),
    });
  }
  return { functions, esbuildOptions: state.service.custom?.esbuild ?? {} };
}

/**
 * Reads only when it answers `GET` requests alone; consumes when a queue or stream invokes it; otherwise it writes
 * (the commands of the HTTP API, and `redriveDlq`, which is invoked directly).
 */
export function roleOf(events: readonly unknown[]): FunctionRole {
  const kinds = events.flatMap((event) =>
    typeof event === 'object' && event !== null ? Object.keys(event) : [],
  );
  if (kinds.some((kind) => kind === 'sqs' || kind === 'stream')) return 'consumer';
  const methods = events.flatMap((event) => {
    const httpApi = (event as { httpApi?: { method?: unknown } }).httpApi;
    return httpApi === undefined ? [] : [String(httpApi.method ?? '').toUpperCase()];
  });
  return methods.length > 0 && methods.every((method) => method === 'GET') ? 'read-only' : 'writer';
}

function environmentOf(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
  name: string,
): Record<string, string> {
  const logicalId = `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`;
  const variables = (resources[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> })
    ?.Variables;
  return Object.fromEntries(
    Object.entries(variables ?? {}).flatMap(([key, value]) =>
      typeof value === 'string' ? [[key, value]] : [],
    ),
  );
}
