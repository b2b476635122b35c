import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../local/package-stack.js';
import type { PackagedFunction } from './packaged-functions.js';
import type { FunctionResult } from './results.js';

/**
 * The esbuild options of serverless.yml's `custom.esbuild` that are esbuild's own (the rest — `packager`,
 * `outputFileExtension`, `exclude`, ... — are serverless-esbuild's), so that what the benchmark builds is built
 * the way the functions are.
 */
const ESBUILD_OWN_OPTIONS = [
  'bundle',
  'minify',
  'target',
  'platform',
  'format',
  'mainFields',
  'banner',
  'footer',
  'define',
  'external',
  'conditions',
  'treeShaking',
  'keepNames',
  'legalComments',
] as const;

export function esbuildOptionsOf(custom: Record<string, unknown>): BuildOptions {
  const options: Record<string, unknown> = {};
  for (const key of ESBUILD_OWN_OPTIONS) if (custom[key] !== undefined) options[key] = custom[key];
  const exclude = Array.isArray(custom.exclude) ? custom.exclude.filter((name) => name !== '*') : [];
  if (exclude.length > 0) options.external = [...((options.external as string[]) ?? []), ...exclude];
  return options as BuildOptions;
}

/** Bytes, gzip bytes and the largest inputs of a packaged bundle; the largest inputs from a metafile build. */
export async function measureBundle(
  fn: PackagedFunction,
  esbuildOptions: BuildOptions,
): Promise<{ bundle: FunctionResult['bundle']; clients: string[] }> {
  const code = await readFile(fn.bundlePath);
  const result = await build({
    ...esbuildOptions,
    entryPoints: [join(PROJECT_ROOT, fn.entry)],
    absWorkingDir: PROJECT_ROOT,
    write: false,
    metafile: true,
    sourcemap: false,
    outfile: join(dirname(fn.bundlePath), 'metafile-build.js'),
    logLevel: 'silent',
  });
  const inputs = bytesByPackage(result.metafile);
  return {
    bundle: {
      bytes: code.byteLength,
      gzipBytes: gzipSync(code).byteLength,
      largestInputs: [...inputs.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([input, bytes]) => ({ input, bytes })),
    },
    clients: sdkClientsOf(inputs),
  };
}

/** Output bytes by npm package (`@smithy/core`), or by folder of this project (`shared/core`). */
export function bytesByPackage(metafile: Metafile): Map<string, number> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      const key = packageOf(path);
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return byPackage;
}

function packageOf(path: string): string {
  const modules = path.lastIndexOf('node_modules/');
  if (modules === -1) return path.split('/').slice(0, 2).join('/');
  const [scope = '', name = ''] = path.slice(modules + 'node_modules/'.length).split('/');
  return scope.startsWith('@') ? `${scope}/${name}` : scope;
}

/** How each SDK package the functions use makes its client, for the reference bundles. */
const CLIENT_CONSTRUCTION: Record<string, { imports: string; construct: string }> = {
  '@aws-sdk/client-dynamodb': {
    imports: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
    construct: 'const dynamodb = new DynamoDBClient({});',
  },
  '@aws-sdk/lib-dynamodb': {
    imports: "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    construct: 'const document = DynamoDBDocumentClient.from(dynamodb);',
  },
  '@aws-sdk/client-sns': {
    imports: "import { SNSClient } from '@aws-sdk/client-sns';",
    construct: 'const sns = new SNSClient({});',
  },
  '@aws-sdk/client-sqs': {
    imports: "import { SQSClient } from '@aws-sdk/client-sqs';",
    construct: 'const sqs = new SQSClient({});',
  },
  '@aws-sdk/client-kinesis': {
    imports: "import { KinesisClient } from '@aws-sdk/client-kinesis';",
    construct: 'const kinesis = new KinesisClient({});',
  },
  '@aws-sdk/client-iot-data-plane': {
    imports: "import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';",
    construct: 'const iotData = new IoTDataPlaneClient({});',
  },
  '@aws-sdk/client-iot': {
    imports: "import { IoTClient } from '@aws-sdk/client-iot';",
    construct: 'const iot = new IoTClient({});',
  },
  '@aws-sdk/client-lambda': {
    imports: "import { LambdaClient } from '@aws-sdk/client-lambda';",
    construct: 'const lambda = new LambdaClient({});',
  },
};

/** The two-client floor: what any function that stores and publishes must load. */
export const TWO_CLIENT_FLOOR = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sns'];

/** The SDK clients whose code is in a bundle (a package of `CLIENT_CONSTRUCTION` with bytes in the output). */
export function sdkClientsOf(bytes: ReadonlyMap<string, number>): string[] {
  return Object.keys(CLIENT_CONSTRUCTION).filter((name) => (bytes.get(name) ?? 0) > 0);
}

/**
 * Builds a reference bundle — the given SDK clients constructed at module scope, and nothing else — with the
 * functions' own esbuild options, into `outDir/<key>.js`. Returns its path.
 */
export async function buildReferenceBundle(
  clients: readonly string[],
  esbuildOptions: BuildOptions,
  outDir: string,
): Promise<string> {
  const needed = clients.includes('@aws-sdk/lib-dynamodb')
    ? unique(['@aws-sdk/client-dynamodb', ...clients])
    : clients;
  const parts = needed.map((name) => {
    const part = CLIENT_CONSTRUCTION[name];
    if (part === undefined)
      throw new Error(`no reference construction for ${name}: add it to CLIENT_CONSTRUCTION`);
    return part;
  });
  const source = [...parts.map(({ imports }) => imports), ...parts.map(({ construct }) => construct)].join(
    '\n',
  );
  const key = referenceKey(needed);
  const outfile = join(outDir, `${key}.js`);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  await build({
    ...esbuildOptions,
    stdin: { contents: `${source}\nexport const loaded = true;\n`, resolveDir: PROJECT_ROOT, loader: 'js' },
    write: true,
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

export function referenceKey(clients: readonly string[]): string {
  return `reference-${clients.map((name) => name.replace('@aws-sdk/', '')).join('+')}`;
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
