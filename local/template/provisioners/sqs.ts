import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { arnOf, generateName, resourceOf } from './names.js';
import {
  attributesOf,
  optionalBoolean,
  optionalText,
  type Provisioned,
  type ResourceScope,
} from './resource-scope.js';

/** `AWS::SQS::Queue`: created in fauxqs with its attributes, the DLQ's `RedrivePolicy` among them. */

const QUEUE_ATTRIBUTES = [
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoThroughputLimit',
  'KmsDataKeyReusePeriodSeconds',
  'KmsMasterKeyId',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'RedriveAllowPolicy',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
];

export async function provisionQueue(scope: ResourceScope): Promise<Provisioned> {
  const fifo = optionalBoolean(scope, 'FifoQueue') === true;
  const name =
    optionalText(scope, 'QueueName') ?? generateName(scope, { maxLength: 80, suffix: fifo ? '.fifo' : '' });
  // SQS refuses `FifoQueue: false`: a standard queue simply leaves it out.
  const attributes = { ...(fifo ? { FifoQueue: 'true' } : {}), ...attributesOf(scope, QUEUE_ATTRIBUTES) };
  const { sqs } = scope.clients;
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (queueUrl === undefined) throw new Error(`${scope.logicalId}: CreateQueue returned no QueueUrl`);
  const { Attributes: created } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = created?.QueueArn ?? arnOf(scope, 'sqs', name);
  return { resource: resourceOf(scope, queueUrl, { Arn: arn, QueueName: name, QueueUrl: queueUrl }) };
}
