import { describe, expect, it } from 'vitest';
import type { StackTemplate } from '../../../local/template/packaged-stack.js';
import { provisionStack } from '../../../local/template/provision.js';
import type { ProvisioningClients } from '../../../local/template/provisioners/resource-scope.js';

/**
 * The ERP bridge as the local cloud reads it from a template: the secret generated, the broker's one user resolved
 * from it, `AmqpEndpoints` at the local AMQP port, the definitions tied to their broker, the Amazon MQ mapping.
 * None of these calls an emulator.
 */

const CLIENTS = {} as ProvisioningClients;
const DEFINITIONS = { queues: [{ name: 'legacy.orders', arguments: { 'x-delivery-limit': 5 } }] };

function bridgeTemplate(overrides: Record<string, unknown> = {}): StackTemplate {
  return {
    Resources: {
      Secret: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: {
          Name: 'orderflow-test-legacy-broker',
          GenerateSecretString: {
            SecretStringTemplate: '{"username":"orderflow"}',
            GenerateStringKey: 'password',
            PasswordLength: 24,
            ExcludeCharacters: ',:=',
          },
        },
      },
      Broker: {
        Type: 'AWS::AmazonMQ::Broker',
        Properties: {
          BrokerName: 'orderflow-test-legacy',
          EngineType: 'RABBITMQ',
          DeploymentMode: 'SINGLE_INSTANCE',
          Users: [
            {
              Username: { 'Fn::Sub': `{{resolve:secretsmanager:\${Secret}:SecretString:username}}` },
              Password: { 'Fn::Sub': `{{resolve:secretsmanager:\${Secret}:SecretString:password}}` },
            },
          ],
        },
      },
      Definitions: {
        Type: 'Custom::BrokerDefinitions',
        DependsOn: ['Broker'],
        Properties: {
          ServiceToken: 'arn:aws:lambda:eu-west-1:000000000000:function:x',
          Definitions: DEFINITIONS,
        },
      },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: 'orderflow-test-importLegacyOrder',
          EventSourceArn: { 'Fn::GetAtt': ['Broker', 'Arn'] },
          Queues: ['legacy.orders'],
          BatchSize: 10,
          SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: { Ref: 'Secret' } }],
        },
      },
      Endpoint: {
        Type: 'AWS::SSM::Parameter',
        Properties: { Value: { 'Fn::Select': [0, { 'Fn::GetAtt': ['Broker', 'AmqpEndpoints'] }] } },
      },
      ...overrides,
    },
  } as StackTemplate;
}

const provision = (template: StackTemplate) =>
  provisionStack(template, {
    clients: CLIENTS,
    region: 'eu-west-1',
    stackName: 'orderflow-test',
    amqpPort: 45672,
  });

describe('provisioning the ERP bridge locally', () => {
  it('generates the secret as GenerateSecretString says, and gives the broker its user from it', async () => {
    // Act
    const stack = await provision(bridgeTemplate());

    // Assess
    const [secret] = stack.secrets;
    const value = JSON.parse(secret?.secretString ?? '{}') as { username: string; password: string };
    expect(secret?.name).toBe('orderflow-test-legacy-broker');
    expect(secret?.arn).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:000000000000:secret:orderflow-test-legacy-broker-\w{6}$/,
    );
    expect(value.username).toBe('orderflow');
    expect(value.password).toHaveLength(24);
    expect(value.password).not.toMatch(/[,:=]/);
    expect(stack.brokers).toEqual([
      expect.objectContaining({
        logicalId: 'Broker',
        name: 'orderflow-test-legacy',
        port: 45672,
        username: 'orderflow',
        password: value.password,
      }),
    ]);
  });

  it('resolves AmqpEndpoints to the local AMQP port, and ties the definitions to the broker they depend on', async () => {
    // Act
    const stack = await provision(bridgeTemplate());

    // Assess
    expect(stack.resources.Broker?.listAttributes?.AmqpEndpoints).toEqual(['amqp://127.0.0.1:45672']);
    expect(stack.brokerDefinitions).toEqual([
      { logicalId: 'Definitions', brokerLogicalId: 'Broker', definitions: DEFINITIONS },
    ]);
  });

  it('reads the Amazon MQ mapping: its queue, secret and virtual host, with Lambda’s defaults', async () => {
    // Act
    const stack = await provision(bridgeTemplate());

    // Assess
    expect(stack.eventSources).toEqual([
      expect.objectContaining({
        kind: 'rabbitmq',
        functionName: 'orderflow-test-importLegacyOrder',
        brokerLogicalId: 'Broker',
        brokerArn: stack.resources.Broker?.attributes.Arn,
        queue: 'legacy.orders',
        virtualHost: '/',
        secretArn: stack.secrets[0]?.arn,
        batchSize: 10,
        maximumBatchingWindowSeconds: 0.5,
        enabled: true,
      }),
    ]);
  });

  it('refuses a broker whose user names a secret the stack does not have', async () => {
    // Prepare
    const template = bridgeTemplate();
    const broker = template.Resources.Broker as unknown as {
      Properties: { Users: Array<Record<string, unknown>> };
    };
    broker.Properties.Users = [
      { Username: 'orderflow', Password: '{{resolve:secretsmanager:elsewhere:SecretString:password}}' },
    ];

    // Act
    const provisioning = provision(template);

    // Assess
    await expect(provisioning).rejects.toThrow(/cannot provision Broker.*elsewhere/s);
  });

  it('refuses a mapping with no BASIC_AUTH secret, and definitions that depend on no broker', async () => {
    // Prepare
    const withoutSecret = bridgeTemplate({
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: 'f',
          EventSourceArn: { 'Fn::GetAtt': ['Broker', 'Arn'] },
          Queues: ['legacy.orders'],
        },
      },
    });
    const unattached = bridgeTemplate({
      Definitions: {
        Type: 'Custom::BrokerDefinitions',
        Properties: { ServiceToken: 'x', Definitions: DEFINITIONS },
      },
    });

    // Act, Assess
    await expect(provision(withoutSecret)).rejects.toThrow(/needs a BASIC_AUTH secret/);
    await expect(provision(unattached)).rejects.toThrow(/must depend on the AWS::AmazonMQ::Broker/);
  });
});
