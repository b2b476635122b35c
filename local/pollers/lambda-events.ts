import { createHash } from 'node:crypto';
import type { _Record as KinesisSdkRecord } from '@aws-sdk/client-kinesis';
import type { MessageAttributeValue, Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { arrivalOf, toBase64 } from '../../shared/adapters/kinesis-records.js';

export {
  arrivalOf,
  type KinesisRecordOrigin,
  kinesisRecordOf,
} from '../../shared/adapters/kinesis-records.js';

/** Where an SQS record came from: the ARN of its queue and the region it is in. */
export interface SqsRecordOrigin {
  queueArn: string;
  region: string;
}

/** Why Lambda gave up on a stream batch and sent it to the on-failure destination. */
export type StreamFailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** The record Lambda sends to a Kinesis event source mapping's on-failure destination (SQS or SNS). */
export interface KinesisFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: StreamFailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface KinesisFailureInput {
  requestId: string;
  functionArn: string;
  condition: StreamFailureCondition;
  approximateInvokeCount: number;
  /** Whether the last invocation of these records ended in a function error (thrown, timed out). */
  functionErrored: boolean;
  shardId: string;
  streamArn: string;
  /** The records given up on, in shard order; at least one. */
  records: readonly KinesisSdkRecord[];
  now: Date;
}

/**
 * How Lambda reads a partial batch response (`ReportBatchItemFailures`): `null`, `undefined`, `{}`, or a null or
 * empty `batchItemFailures` is a complete success; a list of known ids fails those items; anything else — not an
 * object, a list that is not an array, an item without a non-empty string `itemIdentifier`, or an id that is
 * not in the batch — fails the whole batch.
 */
export type BatchVerdict =
  | { kind: 'all-succeeded' }
  | { kind: 'some-failed'; failedIds: ReadonlySet<string> }
  | { kind: 'all-failed'; reason: string };

/**
 * Builds the record Lambda's SQS event source mapping delivers for one received message: system attributes as
 * strings (plus `SequenceNumber`, `MessageGroupId`, `MessageDeduplicationId` from a FIFO queue), message
 * attributes with camel-cased fields, base64 binary values and the (always present) list fields.
 */
export function sqsRecordOf(message: SqsMessage, origin: SqsRecordOrigin): SQSRecord {
  const body = message.Body ?? '';
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: sqsAttributesOf(message.Attributes ?? {}),
    messageAttributes: sqsMessageAttributesOf(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: origin.queueArn,
    awsRegion: origin.region,
  };
  if (message.MD5OfMessageAttributes !== undefined)
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** The system attributes Lambda passes on, in the order its events list them; absent optional ones are left out. */
function sqsAttributesOf(attributes: Partial<Record<string, string>>): SQSRecordAttributes {
  const result: SQSRecordAttributes = {
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '',
    SentTimestamp: attributes.SentTimestamp ?? '',
    SenderId: attributes.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
  };
  const optional = [
    'SequenceNumber',
    'MessageGroupId',
    'MessageDeduplicationId',
    'AWSTraceHeader',
    'DeadLetterQueueSourceArn',
  ] as const;
  for (const name of optional) {
    const value = attributes[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

function sqsMessageAttributesOf(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    // Key order as in Lambda's events: the scalar value, the two (reserved, always present) lists, the type.
    result[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: toBase64(value.BinaryValue) } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map(toBase64),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}

/**
 * Builds the message Lambda sends to a stream mapping's on-failure destination when it discards records: it
 * names the batch (shard, first and last sequence numbers, arrival times), not the data. `functionError` is
 * set only when the last invocation ended in a function error (a partial batch response is not one).
 */
export function kinesisFailureRecordOf(input: KinesisFailureInput): KinesisFailureRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (first === undefined || last === undefined)
    throw new Error('A failure record names at least one record');
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.functionErrored ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: input.now.toISOString(),
    KinesisBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.SequenceNumber ?? '',
      endSequenceNumber: last.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrivalOf(first).toISOString(),
      approximateArrivalOfLastRecord: arrivalOf(last).toISOString(),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
}

/**
 * Judges a function's answer under `ReportBatchItemFailures` the way Lambda does (see {@link BatchVerdict}).
 * `itemIds` are the batch's message ids (SQS) or sequence numbers (Kinesis).
 */
export function judgeBatchResponse(result: unknown, itemIds: readonly string[]): BatchVerdict {
  if (result === undefined || result === null) return { kind: 'all-succeeded' };
  if (typeof result !== 'object' || Array.isArray(result)) {
    return { kind: 'all-failed', reason: 'the response is not a batch response object' };
  }
  const failures: unknown = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'all-succeeded' };
  if (!Array.isArray(failures)) return { kind: 'all-failed', reason: 'batchItemFailures is not a list' };
  const known = new Set(itemIds);
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id: unknown =
      typeof failure === 'object' && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') {
      return { kind: 'all-failed', reason: 'a batch item failure has no itemIdentifier' };
    }
    if (!known.has(id)) return { kind: 'all-failed', reason: `itemIdentifier ${id} is not in the batch` };
    failedIds.add(id);
  }
  return failedIds.size === 0 ? { kind: 'all-succeeded' } : { kind: 'some-failed', failedIds };
}

/** The account id in an ARN (`arn:partition:service:region:account:resource`). */
export function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}
