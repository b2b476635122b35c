import { createHash } from 'node:crypto';
import { resolveString } from '../intrinsics.js';
import type { LocalResource } from '../model.js';
import type { Provisioned, ResourceScope } from './resource-scope.js';

/**
 * Names, ARNs and ids of provisioned resources: generated as CloudFormation generates them, and stable, so that a
 * second run over the same emulators names everything the same.
 */

interface NameOptions {
  maxLength: number;
  suffix?: string;
  lowerCase?: boolean;
}

/** CloudFormation names an unnamed resource `<stack>-<logicalId>-<random>`; locally it is the same without the random part. */
export function generateName(
  scope: ResourceScope,
  { maxLength, suffix = '', lowerCase = false }: NameOptions,
): string {
  const name = `${scope.context.stackName}-${scope.logicalId}`.slice(0, maxLength - suffix.length) + suffix;
  return lowerCase ? name.toLowerCase() : name;
}

export function arnOf(
  scope: ResourceScope,
  service: string,
  resource: string,
  { global = false } = {},
): string {
  const region = global ? '' : scope.context.region;
  return `arn:${partitionOf(scope)}:${service}:${region}:${scope.context.accountId}:${resource}`;
}

export function partitionOf(scope: ResourceScope): string {
  return resolveString({ Ref: 'AWS::Partition' }, scope.context, scope.logicalId);
}

/** A stable id for this resource of this stack (hex), so that a second run names everything the same. */
export function fakeId(scope: ResourceScope, length: number, salt = ''): string {
  const digest = createHash('sha256')
    .update(`${scope.context.stackName}/${scope.logicalId}/${salt}`)
    .digest('hex');
  return digest.slice(0, length);
}

export function fakeUuid(scope: ResourceScope, salt = ''): string {
  const hex = fakeId(scope, 32, salt);
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

export function resourceOf(
  scope: ResourceScope,
  ref: string,
  attributes: Record<string, string>,
): LocalResource {
  return { type: scope.type, ref, attributes };
}

export function named(scope: ResourceScope, ref: string, attributes: Record<string, string>): Provisioned {
  return { resource: resourceOf(scope, ref, attributes) };
}

/** `function:<name>` inside a Lambda ARN or an API Gateway invocation URI; a plain name as it is. */
export function functionNameIn(value: string): string {
  return lambdaFunctionNameIn(value) ?? value.split(':')[0] ?? value;
}

export function lambdaFunctionNameIn(value: string): string | undefined {
  return /(?:^|:)function:([^:/]+)/.exec(value)?.[1];
}
