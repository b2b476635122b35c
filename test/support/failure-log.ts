import type { Logger } from '@aws-lambda-powertools/logger';
import type { MockInstance } from 'vitest';

/** The message of every failed-record log entry, whichever consumer logs it: one log filter finds them all. */
export const RECORD_FAILED = 'Record failed; it will be delivered again';

/** A reason as the Kinesis consumers log it: Lambda retries from the failed record. */
export function retriedInShard(reason: string): string {
  return `${reason.replace(/\.$/, '')} (this record and those after it in the shard will be retried)`;
}

/** The spy on a logger's `warn`. */
export type WarnSpy = MockInstance<Logger['warn']>;

/** How DynamoDB throttling reads in a reason: the dependency error and the SDK error behind it. */
export function dynamoDbThrottled(
  name: 'ThrottlingException' | 'ProvisionedThroughputExceededException',
): string {
  return (
    'DependencyUnavailableError: DynamoDB is unavailable right now; retry the same request. — caused by ' +
    `${name}: Rate of requests exceeds the allowed throughput.`
  );
}
