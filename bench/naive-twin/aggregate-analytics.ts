import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';

/** The activity stream into per-minute windows, naively: per record, a client and one update. */
export const handler = async (event: KinesisStreamEvent): Promise<void> => {
  for (const record of event.Records) {
    const change = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
    const minute = new Date(change.occurredAt ?? Date.now()).toISOString().slice(0, 16);
    const dynamodb = new DynamoDBClient({});
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: process.env.ANALYTICS_TABLE,
        Key: { pk: { S: `${change.region ?? 'unknown'}#${minute}` } },
        UpdateExpression: 'ADD #status :one',
        ExpressionAttributeNames: { '#status': String(change.status ?? 'unknown').toLowerCase() },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    console.log(JSON.stringify({ message: 'Counted', orderId: change.orderId }));
  }
};
