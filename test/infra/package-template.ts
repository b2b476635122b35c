import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { PackagedStage } from '../support/packaged-stack.js';
import type { CfnTemplate } from './cfn-spec.js';

/**
 * The CloudFormation template `serverless package` wrote for a stage. The packaging itself runs once per test
 * run, in the global setup (test/support/packaged-stack.ts), with no AWS credentials in its environment.
 */
export async function packagedTemplate(stage: PackagedStage): Promise<CfnTemplate> {
  const file = join(inject('packageDirs')[stage], 'cloudformation-template-update-stack.json');
  return JSON.parse(await readFile(file, 'utf8')) as CfnTemplate;
}
