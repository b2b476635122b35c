import { basename } from 'node:path';
import type { LocalFunction } from '../model.js';
import { arnOf, functionNameIn, generateName, named, resourceOf } from './names.js';
import {
  isRecord,
  optionalNumber,
  optionalText,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  requiredText,
  resolveProperty,
  textOf,
} from './resource-scope.js';

/**
 * `AWS::Lambda::Function` and `AWS::Lambda::Version`: nothing to create; a function becomes what the local runtime
 * needs to run its packaged artifact (handler, timeout, memory, reserved concurrency, environment).
 */

export async function provisionFunction(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'FunctionName') ?? generateName(scope, { maxLength: 64 });
  const arn = arnOf(scope, 'lambda', `function:${name}`);
  const lambda: LocalFunction = {
    logicalId: scope.logicalId,
    name,
    arn,
    artifact: artifactOf(scope),
    handler: requiredText(scope, 'Handler'),
    timeoutSeconds: optionalNumber(scope, 'Timeout') ?? 3,
    memoryMb: optionalNumber(scope, 'MemorySize') ?? 128,
    reservedConcurrency: optionalNumber(scope, 'ReservedConcurrentExecutions'),
    environment: environmentOf(scope),
  };
  return { resource: resourceOf(scope, name, { Arn: arn }), function: lambda };
}

function artifactOf(scope: ResourceScope): string {
  const code = resolveProperty(scope, 'Code');
  const key = isRecord(code) ? code.S3Key : undefined;
  if (typeof key === 'string') return basename(key);
  scope.warn(`local cloud: ${scope.logicalId} has no packaged artifact (Code.S3Key): it cannot run locally`);
  return '';
}

function environmentOf(scope: ResourceScope): Record<string, string> {
  const environment = resolveProperty(scope, 'Environment');
  const variables = isRecord(environment) ? environment.Variables : undefined;
  if (!isRecord(variables)) return {};
  const path = `${propertyPath(scope, 'Environment')}.Variables`;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, textOf(value, `${path}.${name}`)]),
  );
}

export async function nameVersion(scope: ResourceScope): Promise<Provisioned> {
  const functionName = functionNameIn(requiredText(scope, 'FunctionName'));
  const functionArn = arnOf(scope, 'lambda', `function:${functionName}`);
  return named(scope, `${functionArn}:1`, { FunctionArn: functionArn, Version: '1' });
}
