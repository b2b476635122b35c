import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type MetricsRecorder, NO_METRICS } from '../core/metric-names.js';
import type { EventBus } from '../core/ports.js';
import { createSnsClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';

export interface EventBusOptions {
  client?: SNSClient;
  topicArn: string;
  /** Counts each publish that failed (`PublishFailures`). */
  metrics?: MetricsRecorder;
}

/** `EventBus` on the SNS FIFO topic: one message group per order, deduplicated by `orderId:seq`. */
export function createEventBus({
  client = createSnsClient(),
  topicArn,
  metrics = NO_METRICS,
}: EventBusOptions): EventBus {
  return {
    async publish(message) {
      try {
        await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: message.body,
            MessageGroupId: message.groupId,
            MessageDeduplicationId: message.deduplicationId,
            MessageAttributes: {
              eventType: { DataType: 'String', StringValue: message.attributes.eventType },
              total: { DataType: 'Number', StringValue: String(message.attributes.total) },
              currency: { DataType: 'String', StringValue: message.attributes.currency },
              region: { DataType: 'String', StringValue: message.attributes.region },
              ...(message.attributes.correlationId === undefined
                ? {}
                : { correlationId: { DataType: 'String', StringValue: message.attributes.correlationId } }),
            },
          }),
        );
      } catch (error) {
        metrics.count('PublishFailures');
        throw asDependencyError('SNS', error, message.groupId);
      }
    },
  };
}
