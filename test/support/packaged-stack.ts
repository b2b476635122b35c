import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packageStack } from '../../local/package-stack.js';

export type PackagedStage = 'dev' | 'local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `serverless package --package <dir>` output per stage, made once per test run. */
    packageDirs: Record<PackagedStage, string>;
  }
}

/**
 * What `--param iotDataEndpoint` gives the packaged `dev` stage: a deployed stage needs its account's IoT data
 * endpoint (`iot:Data-ATS`), which has no default. This one is made up, in that endpoint's form.
 */
export const DEV_IOT_DATA_ENDPOINT = 'https://a1b2c3example-ats.iot.eu-west-1.amazonaws.com';

const STAGE_PARAMS: Record<PackagedStage, Record<string, string>> = {
  dev: { iotDataEndpoint: DEV_IOT_DATA_ENDPOINT },
  local: {},
};

let root: string | undefined;

/**
 * Vitest global setup of the tests that need the packaged stack (infra, end-to-end): packages each stage once,
 * one after the other (serverless-esbuild builds in the repo's `.esbuild/`, so two at once would collide).
 */
export async function setup(project: TestProject): Promise<void> {
  root = await mkdtemp(join(tmpdir(), 'orderflow-packaged-'));
  const packageDirs: Record<PackagedStage, string> = { dev: join(root, 'dev'), local: join(root, 'local') };
  for (const stage of ['dev', 'local'] as const) {
    await packageStack({ stage, outputDir: packageDirs[stage], params: STAGE_PARAMS[stage] });
  }
  project.provide('packageDirs', packageDirs);
}

export async function teardown(): Promise<void> {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}
