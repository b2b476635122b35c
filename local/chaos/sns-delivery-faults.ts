import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildAppOptions } from 'fauxqs';
import type { ReportFault } from '../../shared/faults/fault-reports.js';
import { type DeliveryFate, OrderedDelivery, type Schedule } from './delivery-fate.js';

/**
 * SNS → SQS delivery faults inside fauxqs 1.9.2 (pinned), which fans a publish out to its subscribed queues in one
 * synchronous loop: for each subscription it reads the subscription, then the queue by the subscription's endpoint
 * ARN, and enqueues. fauxqs takes its stores as an option (`buildApp({ stores })`); these stores are its own classes
 * with two reads overridden, so that the queue a publish fans out to is handed over wrapped: its `enqueue` goes
 * through `OrderedDelivery` (delay, subscription DLQ, duplicate — each group kept in order). Every other use of a
 * store or a queue — SQS actions, the queue's own DLQ moves — is fauxqs's, untouched.
 */

/** The parts of a fauxqs message the hook reads or copies. */
interface FauxqsMessage {
  messageId: string;
  body: string;
  messageAttributes: Record<string, unknown>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
}

interface FauxqsQueue {
  arn: string;
  name: string;
  isFifo(): boolean;
  enqueue(message: FauxqsMessage): void;
  nextSequenceNumber(): string;
}

interface FauxqsSubscription {
  arn: string;
  protocol: string;
  endpoint: string;
  attributes: Record<string, string>;
}

interface SqsStoreClass {
  new (): { getQueueByArn(arn: string): FauxqsQueue | undefined };
  createMessage(
    body: string,
    messageAttributes: Record<string, unknown>,
    delaySeconds: number | undefined,
    messageGroupId: string | undefined,
    messageDeduplicationId: string | undefined,
  ): FauxqsMessage;
}
interface SnsStoreClass {
  new (): { getSubscription(arn: string): FauxqsSubscription | undefined };
}

/** fauxqs's own store classes, from its dist folder (its package exports only `buildApp`). */
async function fauxqsStoreClasses(): Promise<{
  SqsStore: SqsStoreClass;
  SnsStore: SnsStoreClass;
  S3Store: new () => unknown;
}> {
  const require = createRequire(import.meta.url);
  const root = (require.resolve.paths('fauxqs') ?? [])
    .map((modules) => join(modules, 'fauxqs', 'dist'))
    .find((dist) => existsSync(join(dist, 'sqs', 'sqsStore.js')));
  if (root === undefined) throw new Error('fauxqs is not installed: run npm ci');
  const load = (path: string) => import(pathToFileURL(join(root, path)).href);
  const [sqs, sns, s3] = await Promise.all([
    load('sqs/sqsStore.js'),
    load('sns/snsStore.js'),
    load('s3/s3Store.js'),
  ]);
  return { SqsStore: sqs.SqsStore, SnsStore: sns.SnsStore, S3Store: s3.S3Store };
}

export interface SnsDeliveryFaultOptions {
  /** Decides each delivery's fate when its turn comes (the plan may be turned off meanwhile). */
  fateOf: (delivery: { subscriptionArn: string; message: FauxqsMessage }) => DeliveryFate;
  report: ReportFault;
  /** What could not go where the fault sends it (a subscription without a DLQ). */
  log: (line: string) => void;
  schedule?: Schedule;
}

export interface SnsDeliveryFaults {
  /** fauxqs's stores with the hook: `buildApp({ stores })`. */
  stores: NonNullable<BuildAppOptions['stores']>;
  /** Deliveries SNS still owes (retried, waiting behind one, or a second delivery due): not drained while any. */
  pending(): number;
}

export async function createSnsDeliveryFaults(options: SnsDeliveryFaultOptions): Promise<SnsDeliveryFaults> {
  const { SqsStore, SnsStore, S3Store } = await fauxqsStoreClasses();
  const schedule: Schedule = options.schedule ?? ((ms, action) => setTimeout(action, ms).unref());
  const deliveries = new Map<string, OrderedDelivery<FauxqsMessage>>();
  /** The subscription whose queue the fan-out reads next; cleared once this synchronous turn is over. */
  let fanningOutTo: FauxqsSubscription | undefined;

  const deliveryOf = (subscription: FauxqsSubscription): OrderedDelivery<FauxqsMessage> => {
    let delivery = deliveries.get(subscription.arn);
    if (delivery === undefined) {
      delivery = new OrderedDelivery((message) => {
        const fate = options.fateOf({ subscriptionArn: subscription.arn, message });
        const kind = FAULT_OF_FATE[fate.kind];
        if (kind !== undefined) options.report({ kind, site: subscription.arn, target: message.messageId });
        return fate;
      }, schedule);
      deliveries.set(subscription.arn, delivery);
    }
    return delivery;
  };

  class DeliveringSqsStore extends SqsStore {
    override getQueueByArn(arn: string): FauxqsQueue | undefined {
      const queue = super.getQueueByArn(arn);
      const subscription = fanningOutTo;
      if (queue === undefined || subscription === undefined || subscription.endpoint !== arn) return queue;
      fanningOutTo = undefined;
      return deliveringQueue(queue, subscription);
    }
  }
  const sqsStore = new DeliveringSqsStore();

  class FanningOutSnsStore extends SnsStore {
    override getSubscription(arn: string): FauxqsSubscription | undefined {
      const subscription = super.getSubscription(arn);
      if (subscription?.protocol === 'sqs') {
        fanningOutTo = subscription;
        queueMicrotask(() => {
          fanningOutTo = undefined;
        });
      }
      return subscription;
    }
  }

  const copyFor = (queue: FauxqsQueue, message: FauxqsMessage): FauxqsMessage => {
    const copy = SqsStore.createMessage(
      message.body,
      message.messageAttributes,
      undefined,
      message.messageGroupId,
      message.messageDeduplicationId,
    );
    if (queue.isFifo()) copy.sequenceNumber = queue.nextSequenceNumber();
    return copy;
  };

  /** The queue as the fan-out sees it: the same queue, whose `enqueue` is a delivery with a fate. */
  const deliveringQueue = (queue: FauxqsQueue, subscription: FauxqsSubscription): FauxqsQueue =>
    new Proxy(queue, {
      get(target, property) {
        if (property === 'enqueue') {
          return (message: FauxqsMessage) =>
            deliveryOf(subscription).deliver(message.messageGroupId ?? '', message, {
              enqueue: (each) => target.enqueue(each),
              enqueueCopy: (each) => target.enqueue(copyFor(target, each)),
              deadLetter: (each) => {
                const dlq = deadLetterQueueOf(subscription);
                if (dlq === undefined) {
                  options.log(
                    `chaos: ${subscription.arn} has no dead-letter queue; message ${each.messageId} is delivered instead`,
                  );
                  target.enqueue(each);
                  return;
                }
                dlq.enqueue(copyFor(dlq, each));
              },
            });
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

  const deadLetterQueueOf = (subscription: FauxqsSubscription): FauxqsQueue | undefined => {
    const policy = subscription.attributes.RedrivePolicy;
    if (policy === undefined) return undefined;
    try {
      const { deadLetterTargetArn } = JSON.parse(policy) as { deadLetterTargetArn?: unknown };
      return typeof deadLetterTargetArn === 'string'
        ? sqsStore.getQueueByArn(deadLetterTargetArn)
        : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    stores: {
      sqsStore: sqsStore as never,
      snsStore: new FanningOutSnsStore() as never,
      s3Store: new S3Store() as never,
    },
    pending: () => [...deliveries.values()].reduce((sum, delivery) => sum + delivery.pending, 0),
  };
}

const FAULT_OF_FATE = {
  deliver: undefined,
  delay: 'sns-delivery-delayed',
  'dead-letter': 'sns-dead-lettered',
  duplicate: 'sns-duplicate',
} as const;
