import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, printServerlessConfig } from '../../local/package-stack.js';
import { DEV_IOT_DATA_ENDPOINT } from '../support/packaged-stack.js';
import type { CfnResource, CfnTemplate } from './cfn-spec.js';
import { packagedTemplate } from './package-template.js';
import {
  asList,
  getResource,
  isRecord,
  lambdaFunction,
  propertyAt,
  resourcesOfType,
  roleOf,
} from './template-queries.js';

/**
 * The ERP bridge's part of the stack: a private Amazon MQ for RabbitMQ broker whose one user exists only in Secrets
 * Manager, logging, the mapping that feeds importLegacyOrder, the broker's definitions, and the network. (Each
 * function's exact IAM is in template.test.ts.)
 */

const BRIDGE_FUNCTIONS = ['importLegacyOrder', 'publishLegacyStatus', 'applyBrokerDefinitions'] as const;
const DEFINITIONS = JSON.parse(readFileSync(join(PROJECT_ROOT, 'broker', 'definitions.json'), 'utf8'));
const resolveOf = (key: string) => ({
  'Fn::Sub': `{{resolve:secretsmanager:\${LegacyBrokerSecret}:SecretString:${key}}}`,
});

describe.each(['dev', 'local'] as const)('the ERP bridge in the %s stage template', (stage) => {
  let template: CfnTemplate;
  let broker: CfnResource;

  beforeAll(async () => {
    template = await packagedTemplate(stage);
    broker = getResource(template, 'LegacyBroker');
  });

  it('runs one private RabbitMQ broker, with its general logs on', () => {
    expect(resourcesOfType(template, 'AWS::AmazonMQ::Broker')).toHaveLength(1);
    expect(broker.Properties).toMatchObject({
      EngineType: 'RABBITMQ',
      PubliclyAccessible: false,
      Logs: { General: true },
      SecurityGroups: [{ Ref: 'LegacyBrokerSecurityGroup' }],
    });
  });

  it('is a single instance in one private subnet unless told otherwise', () => {
    expect(broker.Properties).toMatchObject({
      DeploymentMode: 'SINGLE_INSTANCE',
      HostInstanceType: 'mq.t3.micro',
      SubnetIds: [{ Ref: 'LegacyBridgeSubnetA' }],
    });
  });

  it('takes its one user from the generated secret only, and so does everything that signs in', () => {
    // Prepare
    const secret = getResource(template, 'LegacyBrokerSecret');
    const mapping = getResource(template, 'ImportLegacyOrderEventSourceMapping');

    // Assess
    expect(propertyAt(broker, ['Users'])).toEqual([
      { Username: resolveOf('username'), Password: resolveOf('password') },
    ]);
    expect(secret.Properties).toMatchObject({
      GenerateSecretString: {
        GenerateStringKey: 'password',
        SecretStringTemplate: '{"username":"orderflow"}',
      },
      KmsKeyId: { Ref: 'OrderflowKey' },
    });
    expect(propertyAt(secret, ['SecretString'])).toBeUndefined();
    expect(propertyAt(mapping, ['SourceAccessConfigurations'])).toContainEqual({
      Type: 'BASIC_AUTH',
      URI: { Ref: 'LegacyBrokerSecret' },
    });
    for (const name of BRIDGE_FUNCTIONS) {
      const variables = propertyAt(lambdaFunction(template, stage, name)[1], ['Environment', 'Variables']);
      expect(
        Object.keys(isRecord(variables) ? variables : {}).filter((key) => /PASS|USER/.test(key)),
      ).toEqual([]);
    }
  });

  it('names no password anywhere in the template', () => {
    // Every value under a key that says password, anywhere in the template.
    const passwords: unknown[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (isRecord(value)) {
        for (const [key, inner] of Object.entries(value)) {
          if (/pass(word)?$/i.test(key)) passwords.push(inner);
          else visit(inner);
        }
      }
    };
    visit(template);

    expect(passwords).toEqual([resolveOf('password')]);
  });

  it('feeds legacy.orders to importLegacyOrder in batches of 10 within 1 s, on the / virtual host', () => {
    const mapping = getResource(template, 'ImportLegacyOrderEventSourceMapping');

    expect(mapping.Properties).toEqual({
      FunctionName: { 'Fn::GetAtt': ['ImportLegacyOrderLambdaFunction', 'Arn'] },
      EventSourceArn: { 'Fn::GetAtt': ['LegacyBroker', 'Arn'] },
      Queues: ['legacy.orders'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      SourceAccessConfigurations: [
        { Type: 'BASIC_AUTH', URI: { Ref: 'LegacyBrokerSecret' } },
        { Type: 'VIRTUAL_HOST', URI: '/' },
      ],
    });
    // Created once the role may read the broker and its secret, and the queue exists.
    expect(asList(mapping.DependsOn)).toEqual([
      'ImportLegacyOrderIamRoleLambdaExecution',
      'LegacyBrokerDefinitions',
    ]);
  });

  it('declares broker/definitions.json on the broker through its custom resource', () => {
    const definitions = getResource(template, 'LegacyBrokerDefinitions');

    expect(definitions.Type).toBe('Custom::BrokerDefinitions');
    expect(definitions.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': ['ApplyBrokerDefinitionsLambdaFunction', 'Arn'] },
      Definitions: DEFINITIONS,
    });
  });

  it('runs the bridge functions in the private subnets, each role with the VPC execution policy', () => {
    for (const name of BRIDGE_FUNCTIONS) {
      const [, lambda] = lambdaFunction(template, stage, name);
      const role = getResource(template, roleOf(lambda) ?? '');

      expect(propertyAt(lambda, ['VpcConfig']), name).toEqual({
        SecurityGroupIds: [{ Ref: 'LegacyBridgeFunctionSecurityGroup' }],
        SubnetIds: [{ Ref: 'LegacyBridgeSubnetA' }, { Ref: 'LegacyBridgeSubnetB' }],
      });
      expect(JSON.stringify(propertyAt(role, ['ManagedPolicyArns'])), name).toContain(
        'service-role/AWSLambdaVPCAccessExecutionRole',
      );
    }
  });

  it('lets into the broker only AMQPS from the bridge functions and from Lambda’s MQ poller, and has no way out to the internet', () => {
    // Prepare
    const ingress = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')
      .filter(([, rule]) => isRecord(rule.Properties) && isRecord(rule.Properties.GroupId))
      .filter(([, rule]) =>
        JSON.stringify(propertyAt(rule, ['GroupId'])).includes('LegacyBrokerSecurityGroup'),
      )
      .map(([, rule]) => rule.Properties);
    const openToAll = JSON.stringify(
      resourcesOfType(template, 'AWS::EC2::SecurityGroup').map(([, group]) =>
        propertyAt(group, ['SecurityGroupIngress']),
      ),
    );

    // Assess
    expect(
      propertyAt(getResource(template, 'LegacyBrokerSecurityGroup'), ['SecurityGroupIngress']),
    ).toBeUndefined();
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 5671,
        ToPort: 5671,
        SourceSecurityGroupId: { Ref: 'LegacyBridgeFunctionSecurityGroup' },
      }),
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 5671,
        ToPort: 5671,
        SourceSecurityGroupId: { Ref: 'LegacyBrokerSecurityGroup' },
      }),
    ]);
    expect(openToAll).not.toContain('0.0.0.0/0');
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::Route']) {
      expect(resourcesOfType(template, type), type).toEqual([]);
    }
  });

  it('watches the bridge: the status publisher’s iterator age and legacy.orders.rejected', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([logicalId]) => logicalId);

    expect(alarms).toEqual(
      expect.arrayContaining(['PublishLegacyStatusIteratorAgeAlarm', 'LegacyOrdersRejectedAlarm']),
    );
    expect(propertyAt(getResource(template, 'LegacyOrdersRejectedAlarm'), ['Dimensions'])).toContainEqual({
      Name: 'Queue',
      Value: 'legacy.orders.rejected',
    });
  });
});

describe('the ERP bridge parameters', () => {
  /** The resolved configuration of the dev stage with these parameters (serverless print, no build). */
  const configWith = (params: Record<string, string>) =>
    printServerlessConfig({ stage: 'dev', params: { iotDataEndpoint: DEV_IOT_DATA_ENDPOINT, ...params } });
  const resourcesOf = (config: Record<string, unknown>) =>
    ((config.resources as { Resources: Record<string, CfnResource> }).Resources ?? {}) as Record<
      string,
      CfnResource
    >;

  it('makes the broker a three-node cluster across zones with legacyBrokerDeploymentMode=CLUSTER_MULTI_AZ', async () => {
    // Act
    const config = await configWith({ legacyBrokerDeploymentMode: 'CLUSTER_MULTI_AZ' });

    // Assess
    expect(resourcesOf(config).LegacyBroker?.Properties).toMatchObject({
      DeploymentMode: 'CLUSTER_MULTI_AZ',
      HostInstanceType: 'mq.m5.large',
      PubliclyAccessible: false,
      SubnetIds: [{ Ref: 'LegacyBridgeSubnetA' }, { Ref: 'LegacyBridgeSubnetB' }],
    });
  }, 120_000);

  it('leaves the whole bridge out of a stage with legacyBridge=disabled', async () => {
    // Act
    const config = await configWith({ legacyBridge: 'disabled' });

    // Assess
    const bridgeResources = Object.keys(resourcesOf(config)).filter((id) => /Legacy|Bridge|Broker/.test(id));
    const functions = Object.keys(config.functions as Record<string, unknown>);
    expect(bridgeResources).toEqual([]);
    expect(functions).not.toEqual(expect.arrayContaining([...BRIDGE_FUNCTIONS]));
    expect(functions.filter((name) => BRIDGE_FUNCTIONS.includes(name as never))).toEqual([]);
    expect(functions).toContain('createOrder');
  }, 120_000);
});
