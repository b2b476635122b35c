import type { KinesisStreamRecord } from 'aws-lambda';
import type { ActivityRecord } from '../core/activity.js';
import { CORRELATION_ID_PATTERN } from '../core/correlation.js';
import { InvalidEventError } from '../core/errors.js';
import { toFieldIssues } from '../core/field-issues.js';
import { ORDER_STATUSES } from '../core/status-machine.js';
import * as z from '../core/zod.js';
import type { RecordKind } from './record-failures.js';

// Strict: a field this version does not know (a future schemaVersion) is not silently dropped.
const activityRecordSchema = z.strictObject({
  eventId: z.string().check(z.minLength(1)),
  orderId: z.string().check(z.minLength(1)),
  // Checked where it matters: notifyCustomer refuses (and logs) an id that cannot be a topic level.
  customerId: z.string(),
  status: z.enum(ORDER_STATUSES),
  previousStatus: z.nullable(z.enum(ORDER_STATUSES)),
  total: z.number().check(z.int(), z.minimum(0)),
  currency: z.string(),
  region: z.string().check(z.minLength(1)),
  seq: z.number().check(z.int(), z.minimum(1)),
  occurredAt: z.iso.datetime(),
  correlationId: z.optional(z.string().check(z.regex(CORRELATION_ID_PATTERN))),
});

/** An activity record is a dozen short fields (well under 1 KiB): anything near this was not written by processOrder. */
export const MAX_ACTIVITY_RECORD_BYTES = 16 * 1024;

/** Parses a record of the `order-activity` stream at the edge: base64 data, JSON, the activity schema. */
export function parseActivityRecord(record: KinesisStreamRecord): ActivityRecord {
  const data = Buffer.from(record.kinesis.data, 'base64');
  if (data.length > MAX_ACTIVITY_RECORD_BYTES) {
    throw new InvalidEventError(
      `the Kinesis data is ${data.length} bytes; an activity record is at most ${MAX_ACTIVITY_RECORD_BYTES}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new InvalidEventError('the Kinesis data is not JSON', { cause: error });
  }
  const parsed = activityRecordSchema.safeParse(json);
  if (!parsed.success) {
    const detail = toFieldIssues(parsed.error)
      .map((issue) => `${issue.field} ${issue.detail}`)
      .join('; ');
    throw new InvalidEventError(`not an activity record: ${detail}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Records of the `order-activity` stream: status changes. */
export const ACTIVITY_RECORDS: RecordKind<KinesisStreamRecord> = {
  idField: 'sequenceNumber',
  idOf: (record) => record.kinesis.sequenceNumber,
  identify(record) {
    try {
      const { orderId, seq, eventId, status, correlationId } = parseActivityRecord(record);
      return { orderId, seq, eventId, status, correlationId };
    } catch {
      return undefined;
    }
  },
  unexplained: () => 'reported by the batch processor without an error',
  next: 'this record and those after it in the shard will be retried',
};
