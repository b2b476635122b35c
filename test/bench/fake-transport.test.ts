import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { BENCH_ENDPOINTS, createAwsResponder } from '../../bench/transport/aws-responder.js';
import { installFakeTransport } from '../../bench/transport/install.js';

const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const region = 'eu-west-1';
let uninstall: (() => void) | undefined;

afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

describe('the benchmark fake transport', () => {
  it('answers real SDK clients in-process, as each service would on success, and counts every call', async () => {
    const responder = createAwsResponder({ orders: { status: 'PLACED', total: 4248 } });
    uninstall = installFakeTransport(responder.respond);
    const dynamodb = new DynamoDBClient({
      region,
      credentials,
      endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_DYNAMODB,
    });
    const sns = new SNSClient({ region, credentials, endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_SNS });
    const sqs = new SQSClient({ region, credentials, endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_SQS });
    const kinesis = new KinesisClient({
      region,
      credentials,
      endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_KINESIS,
      requestHandler: new NodeHttpHandler(),
    });
    const iotData = new IoTDataPlaneClient({
      region,
      credentials,
      endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_IOT_DATA_PLANE,
    });

    const { Item } = await dynamodb.send(
      new GetItemCommand({ TableName: 'orders', Key: { orderId: { S: 'o-1' } } }),
    );
    const missing = await dynamodb.send(
      new GetItemCommand({ TableName: 'progress', Key: { orderId: { S: 'o-1' } } }),
    );
    const published = await sns.send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:eu-west-1:000000000000:t.fifo',
        Message: 'm',
        MessageGroupId: 'g',
      }),
    );
    // The SQS client checks the MD5 of the body it sent against the answer's: a wrong one would throw.
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: 'https://sqs.bench.invalid/0/q', MessageBody: 'body' }),
    );
    const put = await kinesis.send(
      new PutRecordsCommand({
        StreamName: 's',
        Records: [
          { PartitionKey: 'a', Data: Buffer.from('1') },
          { PartitionKey: 'b', Data: Buffer.from('2') },
        ],
      }),
    );
    await iotData.send(new IotPublishCommand({ topic: 'orders/c/o/status', payload: Buffer.from('{}') }));

    expect(Item).toEqual({ orderId: { S: 'o-1' }, status: { S: 'PLACED' }, total: { N: '4248' } });
    expect(missing.Item).toBeUndefined();
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(published.SequenceNumber).toMatch(/^\d+$/);
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(put.FailedRecordCount).toBe(0);
    expect(put.Records).toHaveLength(2);
    expect(Object.fromEntries(responder.calls)).toEqual({
      'dynamodb:GetItem': 2,
      'sns:Publish': 1,
      'sqs:SendMessage': 1,
      'kinesis:PutRecords': 1,
      'iot-data:Publish': 1,
    });
    expect(responder.unanswered).toEqual([]);
  });

  it('refuses an operation it does not answer, and says which', async () => {
    const responder = createAwsResponder();
    uninstall = installFakeTransport(responder.respond);
    const dynamodb = new DynamoDBClient({
      region,
      credentials,
      endpoint: BENCH_ENDPOINTS.AWS_ENDPOINT_URL_DYNAMODB,
      maxAttempts: 1,
    });
    const { Items } = await dynamodb.send(
      new QueryCommand({
        TableName: 't',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'x' } },
      }),
    );
    expect(Items).toEqual([]);
    await expect(
      dynamodb.send(new (await import('@aws-sdk/client-dynamodb')).ScanCommand({ TableName: 't' })),
    ).rejects.toThrow(/does not answer dynamodb:Scan/);
    expect(responder.unanswered).toEqual(['dynamodb:Scan']);
  });

  it('never answers a host that is not a benchmark endpoint', async () => {
    uninstall = installFakeTransport(createAwsResponder().respond);
    const dynamodb = new DynamoDBClient({
      region,
      credentials,
      endpoint: 'https://dynamodb.eu-west-1.amazonaws.com',
      maxAttempts: 1,
    });
    await expect(
      dynamodb.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } })),
    ).rejects.toThrow(/only \*\.bench\.invalid endpoints are answered/);
  });

  it('puts the real https.request back when uninstalled', async () => {
    const https = await import('node:https');
    const original = https.request;
    const restore = installFakeTransport(createAwsResponder().respond);
    expect(https.request).not.toBe(original);
    restore();
    expect(https.request).toBe(original);
  });
});
