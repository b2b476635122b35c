import { resolveDynamicReferences } from '../../secrets/dynamic-references.js';
import { TemplateResolutionError } from '../intrinsics.js';
import { arnOf, fakeId, named, resourceOf } from './names.js';
import {
  isRecord,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  requiredText,
  resolveProperty,
  textOf,
} from './resource-scope.js';

/**
 * `AWS::AmazonMQ::Broker` with engine RabbitMQ: a real RabbitMQ broker takes its place, on 127.0.0.1 at the local
 * cloud's AMQP port, with the template's one user (its `{{resolve:secretsmanager:…}}` references read). The local
 * cloud starts it once the stack is provisioned. Locally it is always one node, without TLS: `AmqpEndpoints` is
 * `amqp://127.0.0.1:<port>` where Amazon MQ gives `amqps://b-….mq.<region>.amazonaws.com:5671`.
 */
export async function provisionBroker(scope: ResourceScope): Promise<Provisioned> {
  const name = requiredText(scope, 'BrokerName');
  const id = `b-${fakeId(scope, 8)}-${fakeId(scope, 4, 'a')}-${fakeId(scope, 4, 'b')}-${fakeId(scope, 4, 'c')}-${fakeId(scope, 12, 'd')}`;
  const arn = arnOf(scope, 'mq', `broker:${name}:${id}`);
  const engine = requiredText(scope, 'EngineType').toUpperCase();
  if (engine !== 'RABBITMQ') {
    scope.warn(`local cloud: not provided locally: ${engine} broker ${scope.logicalId} (only RabbitMQ is)`);
    return named(scope, id, { Arn: arn, Id: id });
  }
  const { username, password } = theOneUser(scope);
  const endpoint = `amqp://127.0.0.1:${scope.amqpPort}`;
  const resource = resourceOf(scope, id, { Arn: arn, Id: id });
  resource.listAttributes = { AmqpEndpoints: [endpoint], IpAddresses: ['127.0.0.1'] };
  return {
    resource,
    broker: {
      logicalId: scope.logicalId,
      name,
      arn,
      port: scope.amqpPort,
      username,
      password,
      deploymentMode: requiredText(scope, 'DeploymentMode'),
    },
  };
}

/** A RabbitMQ broker on Amazon MQ has exactly one user (its administrator). */
function theOneUser(scope: ResourceScope): { username: string; password: string } {
  const users = resolveProperty(scope, 'Users');
  const path = propertyPath(scope, 'Users');
  if (!Array.isArray(users) || users.length !== 1 || !isRecord(users[0])) {
    throw new TemplateResolutionError(path, 'a RabbitMQ broker takes exactly one user');
  }
  const lookup = (secretId: string) =>
    scope.secrets.find((secret) => secret.arn === secretId || secret.name === secretId)?.secretString;
  const field = (key: 'Username' | 'Password') =>
    resolveDynamicReferences(textOf(users[0]?.[key], `${path}[0].${key}`), lookup);
  return { username: field('Username'), password: field('Password') };
}

/**
 * `Custom::BrokerDefinitions`: the RabbitMQ definitions (`Definitions`) that its function declares on the broker
 * at deploy time. Locally nothing invokes that function: the local cloud declares the same definitions, with the
 * same code, as soon as the broker it depends on runs.
 */
export async function provisionBrokerDefinitions(scope: ResourceScope): Promise<Provisioned> {
  const resource = resourceOf(scope, `${scope.context.stackName}-${scope.logicalId}`, {});
  const brokerLogicalId = Object.entries(scope.context.resources).find(
    ([logicalId, candidate]) => candidate.type === 'AWS::AmazonMQ::Broker' && dependsOn(scope, logicalId),
  )?.[0];
  if (brokerLogicalId === undefined) {
    throw new TemplateResolutionError(
      `${scope.logicalId}.DependsOn`,
      'broker definitions must depend on the AWS::AmazonMQ::Broker they are declared on',
    );
  }
  return {
    resource,
    brokerDefinitions: {
      logicalId: scope.logicalId,
      brokerLogicalId,
      definitions: resolveProperty(scope, 'Definitions'),
    },
  };
}

function dependsOn(scope: ResourceScope, logicalId: string): boolean {
  return scope.dependsOn.includes(logicalId);
}
