import type { _Record as KinesisSdkRecord } from '@aws-sdk/client-kinesis';
import type { Message } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  accountOfArn,
  judgeBatchResponse,
  kinesisFailureRecordOf,
  kinesisRecordOf,
  sqsRecordOf,
} from '../../../local/pollers/lambda-events.js';

// The record of the aws-lambda-go SQS sample event (standard queue), as AWS delivers it.
const SAMPLE_SQS_RECORD: SQSRecord = {
  messageId: 'MessageID_1',
  receiptHandle: 'MessageReceiptHandle',
  body: 'Message Body',
  md5OfBody: 'fce0ea8dd236ccb3ed9b37dae260836f',
  md5OfMessageAttributes: '582c92c5c5b6ac403040a4f3ab3115c9',
  eventSourceARN: 'arn:aws:sqs:us-west-2:123456789012:SQSQueue',
  eventSource: 'aws:sqs',
  awsRegion: 'us-west-2',
  attributes: {
    ApproximateReceiveCount: '2',
    SentTimestamp: '1520621625029',
    SenderId: 'AROAIWPX5BD2BHG722MW4:sender',
    ApproximateFirstReceiveTimestamp: '1520621634884',
  },
  messageAttributes: {
    Attribute3: {
      binaryValue: 'MTEwMA==',
      stringListValues: ['abc', '123'],
      binaryListValues: ['MA==', 'MQ==', 'MA=='],
      dataType: 'Binary',
    },
    Attribute2: {
      stringValue: '123',
      stringListValues: [],
      binaryListValues: ['MQ==', 'MA=='],
      dataType: 'Number',
    },
    Attribute1: {
      stringValue: 'AttributeValue1',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    },
  },
};

// The record of the aws-lambda-go Kinesis sample event.
const SAMPLE_KINESIS_RECORD: KinesisStreamRecord = {
  kinesis: {
    kinesisSchemaVersion: '1.0',
    partitionKey: '1',
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    data: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
    approximateArrivalTimestamp: 1607497475.0,
  },
  eventSource: 'aws:kinesis',
  eventVersion: '1.0',
  eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
  eventName: 'aws:kinesis:record',
  invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-kinesis-role',
  awsRegion: 'us-east-1',
  eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/lambda-stream',
};

const base64 = (text: string) => Buffer.from(text, 'base64');

/** What ReceiveMessage returns for the sample's message. */
function sampleSqsMessage(): Message {
  return {
    MessageId: 'MessageID_1',
    ReceiptHandle: 'MessageReceiptHandle',
    Body: 'Message Body',
    MD5OfBody: 'fce0ea8dd236ccb3ed9b37dae260836f',
    MD5OfMessageAttributes: '582c92c5c5b6ac403040a4f3ab3115c9',
    Attributes: {
      SenderId: 'AROAIWPX5BD2BHG722MW4:sender',
      ApproximateFirstReceiveTimestamp: '1520621634884',
      ApproximateReceiveCount: '2',
      SentTimestamp: '1520621625029',
    },
    MessageAttributes: {
      Attribute3: {
        DataType: 'Binary',
        BinaryValue: base64('MTEwMA=='),
        StringListValues: ['abc', '123'],
        BinaryListValues: [base64('MA=='), base64('MQ=='), base64('MA==')],
      },
      Attribute2: {
        DataType: 'Number',
        StringValue: '123',
        BinaryListValues: [base64('MQ=='), base64('MA==')],
      },
      Attribute1: { DataType: 'String', StringValue: 'AttributeValue1' },
    },
  };
}

function kinesisSdkRecord(overrides: Partial<KinesisSdkRecord> = {}): KinesisSdkRecord {
  return {
    SequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    ApproximateArrivalTimestamp: new Date(1607497475000),
    Data: Buffer.from('Hello, this is a test.'),
    PartitionKey: '1',
    ...overrides,
  };
}

describe('sqsRecordOf', () => {
  it('builds the record of the AWS sample from the message ReceiveMessage returns', () => {
    // Act
    const record = sqsRecordOf(sampleSqsMessage(), {
      queueArn: 'arn:aws:sqs:us-west-2:123456789012:SQSQueue',
      region: 'us-west-2',
    });

    // Assess
    expect(record).toEqual(SAMPLE_SQS_RECORD);
    expect(Object.keys(record).sort()).toEqual(Object.keys(SAMPLE_SQS_RECORD).sort());
    expect(Object.keys(record.attributes)).toEqual([
      'ApproximateReceiveCount',
      'SentTimestamp',
      'SenderId',
      'ApproximateFirstReceiveTimestamp',
    ]);
  });

  it('adds the FIFO attributes and leaves out the attribute digest when there are no message attributes', () => {
    // Prepare
    const message: Message = {
      MessageId: 'm-1',
      ReceiptHandle: 'r-1',
      Body: '{"orderId":"o-1"}',
      Attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1700000000000',
        SenderId: '000000000000',
        ApproximateFirstReceiveTimestamp: '1700000000001',
        MessageGroupId: 'o-1',
        MessageDeduplicationId: 'o-1:1',
        SequenceNumber: '00000000000000000001',
      },
    };

    // Act
    const record = sqsRecordOf(message, {
      queueArn: 'arn:aws:sqs:eu-west-1:000000000000:q.fifo',
      region: 'eu-west-1',
    });

    // Assess
    expect(record.attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: '1700000000000',
      SenderId: '000000000000',
      ApproximateFirstReceiveTimestamp: '1700000000001',
      SequenceNumber: '00000000000000000001',
      MessageGroupId: 'o-1',
      MessageDeduplicationId: 'o-1:1',
    });
    expect(record.messageAttributes).toEqual({});
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
    // MD5 of the body, computed when the response did not carry it.
    expect(record.md5OfBody).toBe('d43159842a6911108856bdc9a0a71621');
  });
});

describe('kinesisRecordOf', () => {
  it('builds the record of the AWS sample from the record GetRecords returns', () => {
    // Act
    const record = kinesisRecordOf(kinesisSdkRecord(), {
      shardId: 'shardId-000000000006',
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/lambda-stream',
      region: 'us-east-1',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-kinesis-role',
    });

    // Assess
    expect(record).toEqual(SAMPLE_KINESIS_RECORD);
    expect(Object.keys(record)).toEqual(Object.keys(SAMPLE_KINESIS_RECORD));
    expect(Object.keys(record.kinesis)).toEqual(Object.keys(SAMPLE_KINESIS_RECORD.kinesis));
  });

  it('gives the arrival time in epoch seconds with the milliseconds as the fraction', () => {
    // Act
    const record = kinesisRecordOf(
      kinesisSdkRecord({ ApproximateArrivalTimestamp: new Date(1545084650987) }),
      {
        shardId: 'shardId-000000000000',
        streamArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/s',
        region: 'eu-west-1',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/r',
      },
    );

    // Assess
    expect(record.kinesis.approximateArrivalTimestamp).toBeCloseTo(1545084650.987, 3);
  });
});

describe('kinesisFailureRecordOf', () => {
  const records = [
    kinesisSdkRecord({
      SequenceNumber: '100',
      ApproximateArrivalTimestamp: new Date('2019-11-14T00:38:04.835Z'),
    }),
    kinesisSdkRecord({
      SequenceNumber: '101',
      ApproximateArrivalTimestamp: new Date('2019-11-14T00:38:05.000Z'),
    }),
    kinesisSdkRecord({
      SequenceNumber: '102',
      ApproximateArrivalTimestamp: new Date('2019-11-14T00:38:05.580Z'),
    }),
  ];

  it('names the discarded batch the way Lambda does after a function error', () => {
    // Act
    const failure = kinesisFailureRecordOf({
      requestId: 'c9b8fa9f-5a7f-4f47-af9c-0c604cde93a5',
      functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
      functionErrored: true,
      shardId: 'shardId-000000000001',
      streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/mystream',
      records,
      now: new Date('2019-11-14T00:38:06.021Z'),
    });

    // Assess
    expect(failure).toEqual({
      requestContext: {
        requestId: 'c9b8fa9f-5a7f-4f47-af9c-0c604cde93a5',
        functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2019-11-14T00:38:06.021Z',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000001',
        startSequenceNumber: '100',
        endSequenceNumber: '102',
        approximateArrivalOfFirstRecord: '2019-11-14T00:38:04.835Z',
        approximateArrivalOfLastRecord: '2019-11-14T00:38:05.580Z',
        batchSize: 3,
        streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/mystream',
      },
    });
  });

  it('sets no functionError when the function did not fail with an error', () => {
    // Act
    const failure = kinesisFailureRecordOf({
      requestId: 'r',
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:f',
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
      functionErrored: false,
      shardId: 'shardId-000000000000',
      streamArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/s',
      records: records.slice(1, 2),
      now: new Date(0),
    });

    // Assess
    expect(failure.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(failure.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: '101',
      endSequenceNumber: '101',
      batchSize: 1,
    });
  });

  it('refuses to name an empty batch', () => {
    // Act
    const build = () =>
      kinesisFailureRecordOf({
        requestId: 'r',
        functionArn: 'f',
        condition: 'RecordAgeExceeded',
        approximateInvokeCount: 0,
        functionErrored: false,
        shardId: 's',
        streamArn: 'a',
        records: [],
        now: new Date(0),
      });

    // Assess
    expect(build).toThrow(/at least one record/);
  });
});

describe('judgeBatchResponse', () => {
  const ids = ['a', 'b', 'c'];

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty response', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('treats %s as a complete success', (_name, result) => {
    // Assess
    expect(judgeBatchResponse(result, ids)).toEqual({ kind: 'all-succeeded' });
  });

  it('fails exactly the reported items', () => {
    // Act
    const verdict = judgeBatchResponse(
      { batchItemFailures: [{ itemIdentifier: 'b' }, { itemIdentifier: 'c' }] },
      ids,
    );

    // Assess
    expect(verdict).toEqual({ kind: 'some-failed', failedIds: new Set(['b', 'c']) });
  });

  it.each([
    ['a string', 'ok', /not a batch response/],
    ['a list', [{ itemIdentifier: 'a' }], /not a batch response/],
    ['a list that is not an array', { batchItemFailures: { itemIdentifier: 'a' } }, /not a list/],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, /no itemIdentifier/],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, /no itemIdentifier/],
    ['a bad key name', { batchItemFailures: [{ itemId: 'a' }] }, /no itemIdentifier/],
    ['an id not in the batch', { batchItemFailures: [{ itemIdentifier: 'z' }] }, /z is not in the batch/],
  ])('fails the whole batch for %s', (_name, result, reason) => {
    // Act
    const verdict = judgeBatchResponse(result, ids);

    // Assess
    expect(verdict).toEqual({ kind: 'all-failed', reason: expect.stringMatching(reason) });
  });
});

describe('accountOfArn', () => {
  it('reads the account field of an ARN', () => {
    // Assess
    expect(accountOfArn('arn:aws:kinesis:eu-west-1:123456789012:stream/s')).toBe('123456789012');
    expect(accountOfArn('not-an-arn')).toBe('');
  });
});
