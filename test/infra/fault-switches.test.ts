import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FUNCTION_FAULTS_VARIABLE } from '../../shared/faults/fault-plan.js';
import { packagedTemplate } from './package-template.js';
import { isRecord, resourcesOfType } from './template-queries.js';

/**
 * The test-only switches — the fault switch of the end-to-end tests and a chaos run's faults — are set by the local
 * cloud only: no deployed stage may carry them, in serverless.yml or in the template it packages.
 */
const SWITCHES = ['ORDERFLOW_FAULT_CUSTOMER_ID', FUNCTION_FAULTS_VARIABLE];

describe('the test-only fault switches', () => {
  it.each(SWITCHES)('are never named in serverless.yml (%s)', async (variable) => {
    // Act
    const source = await readFile(new URL('../../serverless.yml', import.meta.url), 'utf8');

    // Assess
    expect(source).not.toContain(variable);
  });

  it('are in no function environment of the packaged dev stage', async () => {
    // Prepare
    const template = await packagedTemplate('dev');

    // Act
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const named = functions.flatMap(([logicalId, resource]) => {
      const environment = resource.Properties?.Environment;
      const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
      return SWITCHES.filter((name) => name in variables).map((name) => `${logicalId}: ${name}`);
    });

    // Assess
    expect(functions.length).toBeGreaterThan(8);
    expect(named).toEqual([]);
  });
});
