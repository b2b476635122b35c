import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** The environment every benchmark child gets: no AWS of any kind, and no SDK notice on stderr. */
export function benchEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/**
 * Wall time from spawning `node` to its exit, when all it does is `import()` one module: a cold start's module
 * loading, node's own start included (`coldStartCost` subtracts it). Fails with the child's stderr if it fails.
 */
export async function timeImportProcess(modulePath: string, env: Record<string, string>): Promise<number> {
  const code = 'await import(process.argv[1]);';
  const start = performance.now();
  const { code: exitCode, stderr } = await run(
    process.execPath,
    ['--input-type=module', '-e', code, pathToFileURL(modulePath).href],
    env,
  );
  const elapsed = performance.now() - start;
  if (exitCode !== 0)
    throw new Error(`node importing ${modulePath} exited with ${exitCode}: ${stderr.slice(0, 2000)}`);
  return elapsed;
}

/** Runs a script with `node`, returns what it wrote on file descriptor 3 (its result) and its stderr. */
export async function runResultProcess(
  script: string,
  env: Record<string, string>,
): Promise<{ result: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let result = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 20_000) stderr += chunk.toString('utf8');
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      result += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ result, stderr, code }));
  });
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 20_000) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
