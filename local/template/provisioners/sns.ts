import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { TemplateResolutionError } from '../intrinsics.js';
import { fakeUuid, generateName, resourceOf } from './names.js';
import {
  attributesOf,
  isRecord,
  optionalBoolean,
  optionalText,
  type Provisioned,
  propertyPath,
  type ResourceScope,
  requiredText,
  resolveProperty,
  textOf,
} from './resource-scope.js';

/**
 * `AWS::SNS::Topic` and `AWS::SNS::Subscription`: created in fauxqs with their filter policies, so that a change to a
 * filter in serverless.yml changes which queue receives. Only SQS subscriptions deliver locally.
 */

export async function provisionTopic(scope: ResourceScope): Promise<Provisioned> {
  const fifo = optionalBoolean(scope, 'FifoTopic') === true;
  const name =
    optionalText(scope, 'TopicName') ?? generateName(scope, { maxLength: 256, suffix: fifo ? '.fifo' : '' });
  const attributes = {
    ...(fifo ? { FifoTopic: 'true' } : {}),
    ...attributesOf(scope, ['ContentBasedDeduplication', 'DisplayName', 'KmsMasterKeyId']),
  };
  const { TopicArn: topicArn } = await scope.clients.sns.send(
    new CreateTopicCommand({ Name: name, Attributes: attributes }),
  );
  if (topicArn === undefined) throw new Error(`${scope.logicalId}: CreateTopic returned no TopicArn`);
  for (const [index, subscription] of inlineSubscriptionsOf(scope).entries()) {
    await subscribe(scope, { topicArn, ...subscription, attributes: {} }, `Subscription[${index}]`);
  }
  return { resource: resourceOf(scope, topicArn, { TopicArn: topicArn, TopicName: name }) };
}

export async function provisionSubscription(scope: ResourceScope): Promise<Provisioned> {
  const subscription = {
    topicArn: requiredText(scope, 'TopicArn'),
    protocol: requiredText(scope, 'Protocol'),
    endpoint: requiredText(scope, 'Endpoint'),
    attributes: attributesOf(scope, [
      'FilterPolicy',
      'FilterPolicyScope',
      'RawMessageDelivery',
      'RedrivePolicy',
    ]),
  };
  const arn = await subscribe(scope, subscription, 'Properties');
  return { resource: resourceOf(scope, arn, { Arn: arn }) };
}

interface Subscription {
  topicArn: string;
  protocol: string;
  endpoint: string;
  attributes: Record<string, string>;
}

/** Subscribes an SQS queue; the local cloud delivers nothing else, so other protocols only get a warning. */
async function subscribe(scope: ResourceScope, subscription: Subscription, where: string): Promise<string> {
  const { topicArn, protocol, endpoint, attributes } = subscription;
  if (protocol !== 'sqs') {
    scope.warn(
      `local cloud: not delivered locally: SNS subscription with protocol ${protocol} (${scope.logicalId} ${where})`,
    );
    return `${topicArn}:${fakeUuid(scope, where)}`;
  }
  const { SubscriptionArn: arn } = await scope.clients.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: protocol,
      Endpoint: endpoint,
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }),
  );
  if (arn === undefined) throw new Error(`${scope.logicalId}: Subscribe returned no SubscriptionArn`);
  return arn;
}

function inlineSubscriptionsOf(scope: ResourceScope): Array<{ protocol: string; endpoint: string }> {
  const subscriptions = resolveProperty(scope, 'Subscription');
  if (!Array.isArray(subscriptions)) return [];
  return subscriptions.map((subscription, index) => {
    const path = `${propertyPath(scope, 'Subscription')}[${index}]`;
    if (!isRecord(subscription)) throw new TemplateResolutionError(path, 'expected { Endpoint, Protocol }');
    return {
      protocol: textOf(subscription.Protocol, `${path}.Protocol`),
      endpoint: textOf(subscription.Endpoint, `${path}.Endpoint`),
    };
  });
}
