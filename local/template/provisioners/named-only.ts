import { arnOf, fakeId, fakeUuid, generateName, named, partitionOf } from './names.js';
import { optionalText, type Provisioned, type ResourceScope, requiredText } from './resource-scope.js';

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

// ---------------------------------------------------------------------------------------------------------------
// VPC pieces: named only, since nothing is isolated locally (every function reaches every emulator on 127.0.0.1).
// Their ids look like AWS's: a prefix and 17 hex digits, stable for a resource of a stack.

/** `<prefix>-<17 hex>` for this resource (or, with a salt, for one of its parts: a VPC's default security group). */
function ec2Id(scope: ResourceScope, prefix: string, salt = ''): string {
  return `${prefix}-${fakeId(scope, 17, salt)}`;
}

/**
 * `AWS::EC2::VPC`: `Ref` is its id (`vpc-…`); attributes `VpcId`, `CidrBlock` (when the template gives one; an
 * IPAM pool's block is not known locally), `DefaultSecurityGroup` (`sg-…`) and `DefaultNetworkAcl` (`acl-…`).
 */
export async function nameVpc(scope: ResourceScope): Promise<Provisioned> {
  const vpcId = ec2Id(scope, 'vpc');
  const cidrBlock = optionalText(scope, 'CidrBlock');
  return named(scope, vpcId, {
    VpcId: vpcId,
    ...(cidrBlock !== undefined && { CidrBlock: cidrBlock }),
    DefaultSecurityGroup: ec2Id(scope, 'sg', 'default-security-group'),
    DefaultNetworkAcl: ec2Id(scope, 'acl', 'default-network-acl'),
  });
}

/**
 * `AWS::EC2::Subnet`: `Ref` is its id (`subnet-…`); attributes `SubnetId`, `VpcId` (the property, resolved),
 * `AvailabilityZone` (the property, or the region's first zone `<region>a`) and `CidrBlock` (when given).
 */
export async function nameSubnet(scope: ResourceScope): Promise<Provisioned> {
  const subnetId = ec2Id(scope, 'subnet');
  const cidrBlock = optionalText(scope, 'CidrBlock');
  return named(scope, subnetId, {
    SubnetId: subnetId,
    VpcId: requiredText(scope, 'VpcId'),
    AvailabilityZone: optionalText(scope, 'AvailabilityZone') ?? `${scope.context.region}a`,
    ...(cidrBlock !== undefined && { CidrBlock: cidrBlock }),
  });
}

/**
 * `AWS::EC2::SecurityGroup`: `Ref` is its id (`sg-…`) when it names a `VpcId`, else its name (`GroupName`, or
 * `<stack>-<logicalId>`), as CloudFormation has it for a group of the default VPC; attributes `GroupId` and `VpcId`
 * (the property, or the stack's stand-in for the default VPC, the same for every group of the stack).
 */
export async function nameSecurityGroup(scope: ResourceScope): Promise<Provisioned> {
  const groupId = ec2Id(scope, 'sg');
  const vpcId = optionalText(scope, 'VpcId');
  const defaultVpcId = `vpc-${fakeId({ ...scope, logicalId: 'AWS::EC2::DefaultVpc' }, 17)}`;
  const ref =
    vpcId !== undefined
      ? groupId
      : (optionalText(scope, 'GroupName') ?? generateName(scope, { maxLength: 255 }));
  return named(scope, ref, { GroupId: groupId, VpcId: vpcId ?? defaultVpcId });
}

/** `AWS::EC2::RouteTable`: `Ref` is its id (`rtb-…`); attribute `RouteTableId`. */
export async function nameRouteTable(scope: ResourceScope): Promise<Provisioned> {
  const routeTableId = ec2Id(scope, 'rtb');
  return named(scope, routeTableId, { RouteTableId: routeTableId });
}

/** `AWS::EC2::VPCEndpoint`: `Ref` is its id (`vpce-…`); attribute `Id`. Locally the service is reached directly. */
export async function nameVpcEndpoint(scope: ResourceScope): Promise<Provisioned> {
  const endpointId = ec2Id(scope, 'vpce');
  return named(scope, endpointId, { Id: endpointId });
}
