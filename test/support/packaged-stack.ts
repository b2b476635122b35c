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

let root: string | undefined;

/**
 * Vitest global setup of the tests that need the packaged stack (infra, end-to-end): packages each stage once,
 * one after the other (serverless-esbuild builds in the repo's `.esbuild/`, so two at once would collide).
 */
export async function setup(project: TestProject): Promise<void> {
  root = await mkdtemp(join(tmpdir(), 'orderflow-packaged-'));
  const packageDirs = { dev: join(root, 'dev'), local: join(root, 'local') };
  for (const [stage, outputDir] of Object.entries(packageDirs)) await packageStack({ stage, outputDir });
  project.provide('packageDirs', packageDirs);
}

export async function teardown(): Promise<void> {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}
