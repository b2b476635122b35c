import { describe, expect, it } from 'vitest';
import type { LocalResource } from '../../../local/template/model.js';
import {
  nameRouteTable,
  nameSecurityGroup,
  nameSubnet,
  nameVpc,
  nameVpcEndpoint,
  nameWithId,
} from '../../../local/template/provisioners/named-only.js';
import type {
  ProvisioningClients,
  ResourceScope,
} from '../../../local/template/provisioners/resource-scope.js';

const REGION = 'eu-west-1';
const HEX_17 = '[0-9a-f]{17}';

/** A scope for one resource of the stack `orderflow-test`, after `resources` were provisioned. */
function scopeOf(
  logicalId: string,
  type: string,
  properties: Record<string, unknown> = {},
  resources: Record<string, LocalResource> = {},
  stackName = 'orderflow-test',
): ResourceScope {
  return {
    logicalId,
    type,
    properties,
    dependsOn: [],
    // Named-only provisioners never call an emulator.
    clients: {} as ProvisioningClients,
    context: { region: REGION, accountId: '000000000000', stackName, resources },
    integrations: new Map(),
    authorizers: new Map(),
    secrets: [],
    amqpPort: 5672,
    warn: () => {
      throw new Error('no warning expected');
    },
  };
}

describe('nameVpc', () => {
  it('gives a VPC an id like AWS, its CIDR block and default security group and network ACL', async () => {
    // Act
    const { resource } = await nameVpc(scopeOf('Vpc', 'AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' }));

    // Assess
    expect(resource.ref).toMatch(new RegExp(`^vpc-${HEX_17}$`));
    expect(resource.attributes).toEqual({
      VpcId: resource.ref,
      CidrBlock: '10.0.0.0/16',
      DefaultSecurityGroup: expect.stringMatching(new RegExp(`^sg-${HEX_17}$`)),
      DefaultNetworkAcl: expect.stringMatching(new RegExp(`^acl-${HEX_17}$`)),
    });
  });

  it('names the same VPC of the same stack the same on every run, and another stack’s differently', async () => {
    // Act
    const first = await nameVpc(scopeOf('Vpc', 'AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' }));
    const again = await nameVpc(scopeOf('Vpc', 'AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' }));
    const other = await nameVpc(scopeOf('Vpc', 'AWS::EC2::VPC', {}, {}, 'orderflow-prod'));

    // Assess
    expect(again.resource).toEqual(first.resource);
    expect(other.resource.ref).not.toBe(first.resource.ref);
  });

  it('has no CidrBlock attribute when the template gives no block', async () => {
    // Act
    const { resource } = await nameVpc(scopeOf('Vpc', 'AWS::EC2::VPC', { Ipv4IpamPoolId: 'ipam-pool-1' }));

    // Assess
    expect(resource.attributes).not.toHaveProperty('CidrBlock');
  });
});

describe('nameSubnet', () => {
  const vpc: LocalResource = {
    type: 'AWS::EC2::VPC',
    ref: 'vpc-0123456789abcdef0',
    attributes: { VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/16' },
  };

  it('gives a subnet an id like AWS and the VPC, zone and block it resolves to', async () => {
    // Act
    const { resource } = await nameSubnet(
      scopeOf(
        'SubnetB',
        'AWS::EC2::Subnet',
        {
          VpcId: { Ref: 'Vpc' },
          CidrBlock: '10.0.1.0/24',
          AvailabilityZone: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
        },
        { Vpc: vpc },
      ),
    );

    // Assess
    expect(resource.ref).toMatch(new RegExp(`^subnet-${HEX_17}$`));
    expect(resource.attributes).toEqual({
      SubnetId: resource.ref,
      VpcId: 'vpc-0123456789abcdef0',
      AvailabilityZone: 'eu-west-1b',
      CidrBlock: '10.0.1.0/24',
    });
  });

  it("puts a subnet without a zone in the region's first zone", async () => {
    // Act
    const { resource } = await nameSubnet(
      scopeOf('SubnetA', 'AWS::EC2::Subnet', { VpcId: { Ref: 'Vpc' } }, { Vpc: vpc }),
    );

    // Assess
    expect(resource.attributes.AvailabilityZone).toBe('eu-west-1a');
  });

  it('rejects a subnet without a VpcId, naming the property', async () => {
    // Act
    const attempt = nameSubnet(scopeOf('SubnetA', 'AWS::EC2::Subnet', { CidrBlock: '10.0.1.0/24' }));

    // Assess
    await expect(attempt).rejects.toThrow('SubnetA.Properties.VpcId: is required');
  });
});

describe('nameSecurityGroup', () => {
  it('refers to a group of a VPC by its id', async () => {
    // Act
    const { resource } = await nameSecurityGroup(
      scopeOf('LambdaSecurityGroup', 'AWS::EC2::SecurityGroup', {
        GroupDescription: 'functions',
        VpcId: 'vpc-0123456789abcdef0',
      }),
    );

    // Assess
    expect(resource.ref).toMatch(new RegExp(`^sg-${HEX_17}$`));
    expect(resource.attributes).toEqual({ GroupId: resource.ref, VpcId: 'vpc-0123456789abcdef0' });
  });

  it('refers to a group without a VPC by its name, its id and the default VPC still attributes', async () => {
    // Act
    const named = await nameSecurityGroup(
      scopeOf('Named', 'AWS::EC2::SecurityGroup', { GroupDescription: 'x', GroupName: 'legacy' }),
    );
    const unnamed = await nameSecurityGroup(
      scopeOf('Unnamed', 'AWS::EC2::SecurityGroup', { GroupDescription: 'x' }),
    );

    // Assess
    expect(named.resource.ref).toBe('legacy');
    expect(unnamed.resource.ref).toBe('orderflow-test-Unnamed');
    expect(named.resource.attributes.GroupId).toMatch(new RegExp(`^sg-${HEX_17}$`));
    expect(named.resource.attributes.VpcId).toMatch(new RegExp(`^vpc-${HEX_17}$`));
    expect(unnamed.resource.attributes.VpcId).toBe(named.resource.attributes.VpcId);
  });
});

describe('nameRouteTable and nameVpcEndpoint', () => {
  it('gives a route table an rtb- id, as Ref and RouteTableId', async () => {
    // Act
    const { resource } = await nameRouteTable(
      scopeOf('PrivateRoutes', 'AWS::EC2::RouteTable', { VpcId: 'vpc-0123456789abcdef0' }),
    );

    // Assess
    expect(resource.ref).toMatch(new RegExp(`^rtb-${HEX_17}$`));
    expect(resource.attributes).toEqual({ RouteTableId: resource.ref });
  });

  it('gives a VPC endpoint a vpce- id, as Ref and Id', async () => {
    // Act
    const { resource } = await nameVpcEndpoint(
      scopeOf('SecretsEndpoint', 'AWS::EC2::VPCEndpoint', {
        VpcId: 'vpc-0123456789abcdef0',
        ServiceName: 'com.amazonaws.eu-west-1.secretsmanager',
      }),
    );

    // Assess
    expect(resource.ref).toMatch(new RegExp(`^vpce-${HEX_17}$`));
    expect(resource.attributes).toEqual({ Id: resource.ref });
  });
});

describe('the VPC pieces together', () => {
  it('gives each piece of one stack its own id', async () => {
    // Act
    const vpc = await nameVpc(scopeOf('Vpc', 'AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' }));
    const resources = { Vpc: vpc.resource };
    const pieces = await Promise.all([
      nameSubnet(scopeOf('SubnetA', 'AWS::EC2::Subnet', { VpcId: { Ref: 'Vpc' } }, resources)),
      nameSubnet(scopeOf('SubnetB', 'AWS::EC2::Subnet', { VpcId: { Ref: 'Vpc' } }, resources)),
      nameSecurityGroup(
        scopeOf('Group', 'AWS::EC2::SecurityGroup', { VpcId: { 'Fn::GetAtt': ['Vpc', 'VpcId'] } }, resources),
      ),
      nameRouteTable(scopeOf('Routes', 'AWS::EC2::RouteTable', { VpcId: { Ref: 'Vpc' } }, resources)),
      nameVpcEndpoint(scopeOf('Endpoint', 'AWS::EC2::VPCEndpoint', { VpcId: { Ref: 'Vpc' } }, resources)),
    ]);

    // Assess
    const hexes = [vpc, ...pieces].map(({ resource }) => resource.ref.split('-')[1]);
    const defaults = [
      vpc.resource.attributes.DefaultSecurityGroup,
      vpc.resource.attributes.DefaultNetworkAcl,
    ];
    expect(new Set([...hexes, ...defaults.map((id) => id?.split('-')[1])]).size).toBe(hexes.length + 2);
    const vpcIds = pieces.slice(0, 3).map(({ resource }) => resource.attributes.VpcId);
    expect(vpcIds).toEqual([vpc.resource.ref, vpc.resource.ref, vpc.resource.ref]);
  });

  it.each([
    'AWS::EC2::SecurityGroupIngress',
    'AWS::EC2::SecurityGroupEgress',
    'AWS::EC2::SubnetRouteTableAssociation',
  ])('gives a %s a stable id of its own through nameWithId', async (type) => {
    // Act
    const first = await nameWithId(scopeOf('Rule', type, { GroupId: 'sg-0123456789abcdef0' }));
    const again = await nameWithId(scopeOf('Rule', type, { GroupId: 'sg-0123456789abcdef0' }));

    // Assess
    expect(first.resource.ref).toMatch(/^orderflow-test-Rule-[0-9a-f]{12}$/);
    expect(again.resource.ref).toBe(first.resource.ref);
  });
});
