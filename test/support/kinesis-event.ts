import { createHash } from 'node:crypto';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { ActivityRecord } from '../../shared/core/activity.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';

/** A Lambda handler of a Kinesis event source with partial batch responses. */
export type KinesisHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse>;

export const ACTIVITY_STREAM_ARN =
  'arn:aws:kinesis:us-east-1:123456789012:stream/orderflow-test-order-activity';

/** The role of the function the event source mapping invokes. */
const INVOKE_IDENTITY_ARN = 'arn:aws:iam::123456789012:role/orderflow-test-consumer-role';
/** When the first record reached the stream: 2024-05-01T10:00:00Z, in seconds as Kinesis gives it. */
const FIRST_ARRIVAL_SECONDS = 1_714_557_600;

/**
 * A Kinesis sequence number of a shard: 56 digits like the real ones, growing with `position`, so that the order of
 * positions is the order of the numbers (compared as BigInt, as Lambda does).
 */
export function kinesisSequenceNumber(position: number): string {
  return `4959033827149025660855969253836157109592157598913${String(position).padStart(7, '0')}`;
}

export interface KinesisRecordOptions {
  /** The record's data, sent as base64 JSON. */
  data?: unknown;
  /** Data sent as these exact bytes (base64-encoded), e.g. text that is not JSON; wins over `data`. */
  rawData?: string;
  sequenceNumber: string;
  /** Defaults to the data's `orderId` (the partition key of `order-activity`), else `'1'`. */
  partitionKey?: string;
  shardId?: string;
  /** `approximateArrivalTimestamp` in seconds (with milliseconds as the fraction). */
  arrivedAt?: number;
  streamArn?: string;
}

/**
 * A record of a Kinesis stream as Lambda delivers it (the shape of a real event: `kinesis` with schema version,
 * partition key, sequence number, base64 data and arrival time in seconds; `eventID` = `<shardId>:<sequenceNumber>`).
 */
export function kinesisRecord({
  data,
  rawData,
  sequenceNumber,
  partitionKey,
  shardId = 'shardId-000000000000',
  arrivedAt,
  streamArn = ACTIVITY_STREAM_ARN,
}: KinesisRecordOptions): KinesisStreamRecord {
  const text = rawData ?? JSON.stringify(data);
  const position = Number(sequenceNumber.slice(-7));
  // Field order as in Lambda's events.
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: partitionKey ?? orderIdOf(data) ?? '1',
      sequenceNumber,
      data: Buffer.from(text, 'utf8').toString('base64'),
      approximateArrivalTimestamp:
        arrivedAt ?? FIRST_ARRIVAL_SECONDS + (Number.isFinite(position) ? position / 1000 : 0),
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: INVOKE_IDENTITY_ARN,
    awsRegion: streamArn.split(':')[3] ?? 'us-east-1',
    eventSourceARN: streamArn,
  };
}

/** A plain Kinesis batch (no tumbling window): just the records. */
export function kinesisEvent(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

/** The records of activity records, numbered from `firstPosition` in the shard. */
export function activityRecords(
  activities: readonly ActivityRecord[],
  firstPosition = 1,
  options: Omit<KinesisRecordOptions, 'data' | 'rawData' | 'sequenceNumber'> = {},
): KinesisStreamRecord[] {
  return activities.map((activity, index) =>
    kinesisRecord({
      ...options,
      data: activity,
      sequenceNumber: kinesisSequenceNumber(firstPosition + index),
    }),
  );
}

export const ACTIVITY_ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';

/**
 * The status before each status and the seq it has in an order's usual life (placed 1, paid 2, fulfilled 3,
 * shipped 4, delivered 5).
 */
const LIFE: Record<OrderStatus, { previousStatus: OrderStatus | null; seq: number; at: string }> = {
  PLACED: { previousStatus: null, seq: 1, at: '2024-05-01T10:00:05.000Z' },
  PAID: { previousStatus: 'PLACED', seq: 2, at: '2024-05-01T10:00:20.000Z' },
  FULFILLED: { previousStatus: 'PAID', seq: 3, at: '2024-05-01T10:00:40.000Z' },
  SHIPPED: { previousStatus: 'FULFILLED', seq: 4, at: '2024-05-01T10:00:50.000Z' },
  DELIVERED: { previousStatus: 'SHIPPED', seq: 5, at: '2024-05-01T10:00:55.000Z' },
  CANCELLED: { previousStatus: 'PLACED', seq: 2, at: '2024-05-01T10:00:30.000Z' },
};

/**
 * A valid activity record (the data of an `order-activity` record). By default a status change
 * of one order in `eu-west`, all in the minute from 10:00; the status sets `previousStatus`, `seq` and
 * `occurredAt` as in the order's usual life, and the `eventId` is derived from order, status and seq.
 */
export function activityRecord(overrides: Partial<ActivityRecord> = {}): ActivityRecord {
  const status = overrides.status ?? 'PLACED';
  const life = LIFE[status];
  const orderId = overrides.orderId ?? ACTIVITY_ORDER_ID;
  const seq = overrides.seq ?? life.seq;
  return {
    eventId: derivedEventId(orderId, status, seq),
    orderId,
    customerId: 'cust_42',
    status,
    previousStatus: life.previousStatus,
    total: 4498,
    currency: 'EUR',
    region: 'eu-west',
    seq,
    occurredAt: life.at,
    ...overrides,
  };
}

function orderIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('orderId' in data)) return undefined;
  return typeof data.orderId === 'string' ? data.orderId : undefined;
}

function derivedEventId(orderId: string, status: string, seq: number): string {
  const hex = createHash('sha256').update(`${orderId}:${status}:${seq}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
