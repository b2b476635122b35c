import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { LocalCloud } from '../../local/cloud.js';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { refOf } from './local-cloud.js';

/**
 * A maker of activity records as processOrder puts them on the stream: each with the next eventId and orderId
 * (`<orderIdPrefix>-<n>`), the fields of `base`, then the call's overrides. The same record passed twice is a
 * producer's retry (same eventId).
 */
export function activityRecords(
  orderIdPrefix: string,
  base: Partial<ActivityRecord>,
): (overrides?: Partial<ActivityRecord>) => ActivityRecord {
  let counter = 0;
  return (overrides = {}) => {
    counter += 1;
    return {
      eventId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      orderId: `${orderIdPrefix}-${counter}`,
      customerId: 'cust-activity',
      status: 'PLACED',
      previousStatus: null,
      total: 1000,
      currency: 'EUR',
      region: 'zz-test',
      seq: 1,
      occurredAt: '2026-01-01T10:00:10.000Z',
      ...base,
      ...overrides,
    };
  };
}

/**
 * Puts records on the cloud's activity stream in one `PutRecords`, under one partition key so that they share a
 * shard and reach the consumers in this order; returns their sequence numbers.
 */
export async function putActivity(
  cloud: LocalCloud,
  records: readonly ActivityRecord[],
  partitionKey: string,
): Promise<string[]> {
  const { Records = [] } = await cloud.clients.kinesis.send(
    new PutRecordsCommand({
      StreamName: refOf(cloud, 'OrderActivityStream'),
      Records: records.map((record) => ({
        PartitionKey: partitionKey,
        Data: Buffer.from(JSON.stringify(record)),
      })),
    }),
  );
  return Records.map((entry) => entry.SequenceNumber ?? '');
}
