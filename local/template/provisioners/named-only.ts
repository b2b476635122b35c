import { arnOf, fakeId, fakeUuid, generateName, named, partitionOf } from './names.js';
import { optionalText, type Provisioned, type ResourceScope } from './resource-scope.js';

/**
 * Types with no local behaviour (IAM, logs, KMS, the deployment bucket, policies, permissions): named, with the
 * attributes CloudFormation gives them, so that references to them resolve.
 */

export async function nameRole(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'RoleName') ?? generateName(scope, { maxLength: 64 });
  return named(scope, name, {
    Arn: arnOf(scope, 'iam', `role/${name}`, { global: true }),
    RoleId: fakeId(scope, 21),
  });
}

export async function nameLogGroup(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'LogGroupName') ?? generateName(scope, { maxLength: 512 });
  return named(scope, name, { Arn: arnOf(scope, 'logs', `log-group:${name}:*`) });
}

export async function nameKey(scope: ResourceScope): Promise<Provisioned> {
  const keyId = fakeUuid(scope);
  return named(scope, keyId, { Arn: arnOf(scope, 'kms', `key/${keyId}`), KeyId: keyId });
}

export async function nameAlias(scope: ResourceScope): Promise<Provisioned> {
  return named(scope, optionalText(scope, 'AliasName') ?? `alias/${scope.logicalId}`, {});
}

export async function nameBucket(scope: ResourceScope): Promise<Provisioned> {
  const name = optionalText(scope, 'BucketName') ?? generateName(scope, { maxLength: 63, lowerCase: true });
  const region = scope.context.region;
  return named(scope, name, {
    Arn: `arn:${partitionOf(scope)}:s3:::${name}`,
    DomainName: `${name}.s3.amazonaws.com`,
    RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
    DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
    WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
  });
}

/** Policies and permissions: a physical id, nothing else. */
export async function nameWithId(scope: ResourceScope): Promise<Provisioned> {
  return named(scope, `${scope.context.stackName}-${scope.logicalId}-${fakeId(scope, 12)}`, {});
}

/** A resource type the local cloud cannot provide: a name and an ARN, so that references to it still resolve. */
export function placeholderFor(scope: ResourceScope): Provisioned {
  const service = scope.type.split('::')[1]?.toLowerCase() ?? 'unknown';
  return named(scope, scope.logicalId, { Arn: arnOf(scope, service, scope.logicalId) });
}
