import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  createPipelineCounters,
  isOrderStatusTopic,
  queuesOfStack,
  readPipelineStatus,
  snsPublishesIn,
} from '../../local/pipeline-status.js';
import type { LocalResource } from '../../local/template/model.js';

const queue = (name: string): LocalResource => ({
  type: 'AWS::SQS::Queue',
  ref: `http://sqs.eu-west-1.localhost:4566/000000000000/${name}`,
  attributes: { QueueName: name, QueueUrl: `http://sqs.eu-west-1.localhost:4566/000000000000/${name}` },
});

describe('queuesOfStack', () => {
  it('gives every queue of the stack its role from the dead-letter wiring, sorted by name, and nothing else', () => {
    // Arrange
    const resources: Record<string, LocalResource> = {
      WorkQueue: queue('work.fifo'),
      WorkDlq: queue('work-dlq.fifo'),
      SubscriptionDlq: queue('sub-dlq'),
      Failures: queue('activity-failures'),
      Topic: { type: 'AWS::SNS::Topic', ref: 'arn:aws:sns:eu-west-1:000000000000:t', attributes: {} },
    };

    // Act
    const queues = queuesOfStack(resources, [
      { logicalId: 'WorkDlq', kind: 'queue-dlq' },
      { logicalId: 'SubscriptionDlq', kind: 'subscription-dlq' },
      { logicalId: 'Failures', kind: 'on-failure' },
    ]);

    // Assess
    expect(queues.map(({ name, role }) => ({ name, role }))).toEqual([
      { name: 'activity-failures', role: 'failures' },
      { name: 'sub-dlq', role: 'subscription-dlq' },
      { name: 'work-dlq.fifo', role: 'dlq' },
      { name: 'work.fifo', role: 'queue' },
    ]);
    expect(queues[3]?.url).toBe(resources.WorkQueue?.attributes.QueueUrl);
  });
});

describe('isOrderStatusTopic', () => {
  it.each([
    ['orders/c-1/o-1/status', true],
    ['orders/c-1/o-1/status/x', false],
    ['orders/c-1/status', false],
    ['orders//o-1/status', false],
    ['ops/reviews', false],
    ['warehouse/w1/scans', false],
  ])('%s → %s', (topic, expected) => {
    expect(isOrderStatusTopic(topic)).toBe(expected);
  });
});

describe('snsPublishesIn', () => {
  it('counts a Publish as one, a PublishBatch by its entries, and anything else as none', () => {
    expect(snsPublishesIn({ Action: 'Publish', TopicArn: 't', Message: 'm' })).toBe(1);
    expect(snsPublishesIn('Action=Publish&TopicArn=t&Message=m')).toBe(1);
    expect(
      snsPublishesIn(
        'Action=PublishBatch&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=x&PublishBatchRequestEntries.member.2.Id=b',
      ),
    ).toBe(2);
    expect(snsPublishesIn({ PublishBatchRequestEntries: [{}, {}, {}] }, 'AmazonSNS.PublishBatch')).toBe(3);
    expect(snsPublishesIn({ TopicArn: 't' }, 'AmazonSNS.Publish')).toBe(1);
    expect(snsPublishesIn('Action=SendMessage&QueueUrl=q')).toBe(0);
    expect(snsPublishesIn({ QueueUrl: 'q' }, 'AmazonSQS.ReceiveMessage')).toBe(0);
    expect(snsPublishesIn(undefined)).toBe(0);
  });
});

describe('createPipelineCounters', () => {
  it('counts 2xx answers, publishes and status notifications only', () => {
    // Arrange
    const counters = createPipelineCounters();

    // Act
    for (const status of [200, 201, 204, 400, 401, 404, 500, 503]) counters.httpAnswered(status);
    counters.snsRequest('Action=Publish&Message=m');
    counters.snsRequest('Action=SendMessage');
    counters.mqttPublished('orders/c/o/status');
    counters.mqttPublished('ops/reviews');
    counters.mqttPublished('$SYS/broker/uptime');

    // Assess
    expect(counters.snapshot()).toEqual({ httpAccepted: 3, published: 1, notifications: 1 });
  });
});

describe('readPipelineStatus', () => {
  it('reads each queue’s depths, the stream’s records and the counters at the given time', async () => {
    // Arrange
    const sqs = mockClient(SQSClient);
    sqs.on(GetQueueAttributesCommand, { QueueUrl: 'url-a' }).resolves({
      Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1' },
    });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: 'url-b' }).resolves({ Attributes: {} });

    // Act
    const status = await readPipelineStatus({
      queues: [
        { name: 'a', url: 'url-a', role: 'queue' },
        { name: 'b-dlq', url: 'url-b', role: 'dlq' },
      ],
      streamName: 'orders-stream',
      sqs: new SQSClient({}),
      streamRecords: async () => 7,
      counters: () => ({ httpAccepted: 2, published: 4, notifications: 5 }),
      now: () => new Date('2026-01-02T03:04:05Z'),
    });

    // Assess
    expect(status).toEqual({
      at: '2026-01-02T03:04:05.000Z',
      queues: [
        { name: 'a', role: 'queue', visible: 3, inFlight: 1 },
        { name: 'b-dlq', role: 'dlq', visible: 0, inFlight: 0 },
      ],
      stream: { name: 'orders-stream', records: 7 },
      counters: { httpAccepted: 2, published: 4, notifications: 5 },
    });
    sqs.restore();
  });
});
