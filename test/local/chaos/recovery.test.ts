import { describe, expect, it } from 'vitest';
import { type RecoverableQueue, redrivePortsOf } from '../../../local/chaos/recovery.js';
import { mockedLocalTarget } from '../../support/command-harness.js';
import { REDRIVE_ENVIRONMENT } from '../../support/mocked-redrive-aws.js';

const target = {
  local: mockedLocalTarget({
    functions: [{ name: 'orderflow-test-redriveDlq', environment: { ...REDRIVE_ENVIRONMENT } }],
    queueNames: [],
  }),
  deadLetterQueues: [],
};

const queue = (overrides: Partial<RecoverableQueue>): RecoverableQueue => ({
  name: 'orderflow-test-fulfillment-dlq.fifo',
  url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orderflow-test-fulfillment-dlq.fifo',
  kind: 'queue-dlq',
  sourceQueueName: REDRIVE_ENVIRONMENT.FULFILLMENT_QUEUE_NAME,
  ...overrides,
});

describe('how a chaos run redrives each dead-letter queue', () => {
  it("redrives a queue's own DLQ as `npm run redrive -- --queue <name>` does", () => {
    // Act
    const fulfillment = redrivePortsOf(target, queue({}));
    const review = redrivePortsOf(
      target,
      queue({
        name: REDRIVE_ENVIRONMENT.REVIEW_DLQ_NAME,
        sourceQueueName: REDRIVE_ENVIRONMENT.REVIEW_QUEUE_NAME,
      }),
    );

    // Assess
    expect(fulfillment?.name).toBe('fulfillment');
    expect(review?.name).toBe('review');
  });

  it("redrives a subscription's DLQ into the queue the subscription delivers to, under a name of its own", () => {
    // Act
    const redrive = redrivePortsOf(
      target,
      queue({ name: 'orderflow-test-fulfillment-subscription-dlq.fifo', kind: 'subscription-dlq' }),
    );

    // Assess
    expect(redrive?.name).toBe('fulfillment-subscription');
    expect(redrive?.ports.parking).toBeDefined();
  });

  it('leaves an on-failure destination to the replay', () => {
    // Act
    const { sourceQueueName: _, ...onFailure } = queue({
      name: 'orderflow-test-activity-failures',
      kind: 'on-failure',
    });

    // Assess
    expect(redrivePortsOf(target, onFailure)).toBeUndefined();
  });
});
