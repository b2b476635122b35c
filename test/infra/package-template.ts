import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CfnTemplate } from './cfn-spec.js';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** esbuild bundles four functions in about 10 s here; a slow 2-core CI machine may need 30 s. */
const PACKAGE_TIMEOUT_MS = 150_000;

export interface PackageOptions {
  stage?: string;
}

/**
 * Runs `serverless package` for a stage into a temporary directory and returns the CloudFormation template it
 * wrote. The environment holds no AWS credentials, so packaging must not need an account.
 *
 * Run one at a time: serverless-esbuild builds in `.esbuild/` at the repo root, and `serverless package` empties
 * the repo's `.serverless/` whatever `--package` says.
 */
export async function packageTemplate({ stage = 'dev' }: PackageOptions = {}): Promise<CfnTemplate> {
  const outputDir = await mkdtemp(join(tmpdir(), `orderflow-package-${stage}-`));
  const args = ['serverless', 'package', '--stage', stage, '--package', outputDir];
  try {
    try {
      await execFileAsync('npx', args, {
        cwd: REPO_ROOT,
        env: environmentWithoutAws(),
        timeout: PACKAGE_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      throw new Error(describeFailure(`npx ${args.join(' ')}`, error), { cause: error });
    }
    const templateFile = join(outputDir, 'cloudformation-template-update-stack.json');
    return JSON.parse(await readFile(templateFile, 'utf8')) as CfnTemplate;
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}

/** The test process's environment without credentials, instance metadata or shared config files. */
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
