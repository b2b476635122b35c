import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where `npm start` packages the stack, and so where the commands that talk to it read its names from. */
export const NPM_START_PACKAGE_DIR = join(PROJECT_ROOT, '.local-cloud', 'package');

/** esbuild bundles every function in about 10 s here; a slow 2-core CI machine may need far more. */
const PACKAGE_TIMEOUT_MS = 300_000;

/**
 * Runs `serverless package --stage <stage> --package <outputDir>` (and a `--param` per entry of `params`): the
 * CloudFormation template and the function zips the local cloud runs, built exactly as for a deploy. Needs no AWS
 * account: the environment it gets holds no credentials.
 *
 * One at a time per checkout: serverless-esbuild builds in `.esbuild/` and `serverless package` empties
 * `.serverless/`, whatever `--package` says. It runs with a temporary directory of its own, removed afterwards:
 * serverless-esbuild 1.57 leaves a copy of every bundle in the system's temporary directory on each package.
 */
export async function packageStack({
  stage,
  outputDir,
  params = {},
}: {
  stage: string;
  outputDir: string;
  params?: Readonly<Record<string, string>>;
}): Promise<void> {
  const args = [
    'serverless',
    'package',
    '--stage',
    stage,
    '--package',
    outputDir,
    ...Object.entries(params).map(([name, value]) => `--param=${name}=${value}`),
  ];
  const scratch = await mkdtemp(join(tmpdir(), 'orderflow-package-'));
  try {
    await execFileAsync('npx', args, {
      cwd: PROJECT_ROOT,
      env: { ...environmentWithoutAws(), TMPDIR: scratch, TMP: scratch, TEMP: scratch },
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(describeFailure(`npx ${args.join(' ')}`, error), { cause: error });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * `serverless print --format json` for a stage: the whole configuration with every variable resolved (params
 * included), without building anything — how a test sees what a parameter changes in seconds, not a package.
 */
export async function printServerlessConfig({
  stage,
  params = {},
}: {
  stage: string;
  params?: Readonly<Record<string, string>>;
}): Promise<Record<string, unknown>> {
  const args = [
    'serverless',
    'print',
    '--stage',
    stage,
    '--format',
    'json',
    ...Object.entries(params).map(([name, value]) => `--param=${name}=${value}`),
  ];
  try {
    const { stdout } = await execFileAsync('npx', args, {
      cwd: PROJECT_ROOT,
      env: environmentWithoutAws(),
      timeout: PACKAGE_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    throw new Error(describeFailure(`npx ${args.join(' ')}`, error), { cause: error });
  }
}

/** This process's environment without credentials, instance metadata or shared config files. */
function environmentWithoutAws(): NodeJS.ProcessEnv {
  const {
    AWS_ACCESS_KEY_ID: _accessKeyId,
    AWS_SECRET_ACCESS_KEY: _secretAccessKey,
    AWS_SESSION_TOKEN: _sessionToken,
    AWS_PROFILE: _profile,
    ...rest
  } = process.env;
  const nowhere = join(tmpdir(), 'orderflow-no-aws-config', 'does-not-exist');
  return {
    ...rest,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_CONFIG_FILE: nowhere,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function describeFailure(command: string, error: unknown): string {
  if (!(error instanceof Error)) return `${command} failed: ${String(error)}`;
  const { code, signal, killed, stdout, stderr } = error as Error & {
    code?: number | string;
    signal?: string | null;
    killed?: boolean;
    stdout?: string;
    stderr?: string;
  };
  const how =
    killed === true ? `was killed after ${PACKAGE_TIMEOUT_MS} ms (${signal})` : `exited with ${code}`;
  // execFile's own message repeats stderr: it only says more when the command could not start at all.
  const startFailure = !stdout && !stderr ? ` (${error.message})` : '';
  return [
    `${command} ${how}${startFailure}`,
    `--- stderr ---\n${stderr?.trim() || '(empty)'}`,
    `--- stdout ---\n${stdout?.trim() || '(empty)'}`,
  ].join('\n');
}
