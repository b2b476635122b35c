import type { _Record as KinesisSdkRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';

/** Where a Kinesis record came from, and the role the function is invoked with. */
export interface KinesisRecordOrigin {
  shardId: string;
  streamArn: string;
  region: string;
  invokeIdentityArn: string;
}

/**
 * Builds the record Lambda's Kinesis event source mapping delivers for one stream record: data in base64, the
 * arrival time in epoch seconds (with milliseconds as the fraction), `eventID` = `<shardId>:<sequenceNumber>`.
 */
export function kinesisRecordOf(record: KinesisSdkRecord, origin: KinesisRecordOrigin): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: toBase64(record.Data ?? new Uint8Array()),
      approximateArrivalTimestamp: arrivalOf(record).getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${origin.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: origin.invokeIdentityArn,
    awsRegion: origin.region,
    eventSourceARN: origin.streamArn,
  };
}

/** When Kinesis received a record; the epoch if the emulator did not say. */
export function arrivalOf(record: KinesisSdkRecord): Date {
  return record.ApproximateArrivalTimestamp ?? new Date(0);
}

/** Bytes as base64, as Lambda's events carry binary data. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
