import type { SQSRecord } from 'aws-lambda';
import { isCorrelationId } from '../core/correlation.js';
import { DeadLetterNotSentError, OrderflowError } from '../core/errors.js';
import type { DeadLetterQueue, Log } from '../core/ports.js';

/**
 * Runs `work` for one SQS record. A permanent failure (an `OrderflowError` that is not retryable) is not retried
 * in a loop: the record goes to the DLQ at once — same message group, the reason as the `failureReason` attribute —
 * and is acknowledged. Anything else is rethrown, so the batch reports the record and SQS brings it back (and moves
 * it to the DLQ itself after `maxReceiveCount`). When the DLQ does not take a permanent failure either, the record
 * fails with a `DeadLetterNotSentError` that names both.
 */
export async function withDeadLettering(
  record: SQSRecord,
  deadLetters: DeadLetterQueue,
  log: Pick<Log, 'warn'>,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof OrderflowError) || error.retryable) throw error;
    try {
      await deadLetters.send({
        body: record.body,
        groupId: record.attributes.MessageGroupId ?? record.messageId,
        deduplicationId: record.messageId,
        reason: `${error.name}: ${error.message}`,
        sourceMessageId: record.messageId,
      });
    } catch (sendError) {
      throw new DeadLetterNotSentError(error, { cause: sendError });
    }
    const correlationId = record.messageAttributes?.correlationId?.stringValue;
    log.warn('Sent to the dead-letter queue: retrying cannot help', {
      messageId: record.messageId,
      ...(isCorrelationId(correlationId) ? { correlationId } : {}),
      reason: error.message,
      errorName: error.name,
    });
  }
}
