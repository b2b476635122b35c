import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SQSEvent } from 'aws-lambda';

/** `fulfillment.fifo`, naively: per message, a client per call, the progress read and written, one record put. */
export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    const orderEvent = JSON.parse(record.body);
    const dynamodb = new DynamoDBClient({});
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: process.env.FULFILLMENT_PROGRESS_TABLE,
        Key: { orderId: { S: orderEvent.orderId } },
      }),
    );
    if (Number(Item?.seq?.N ?? 0) >= orderEvent.seq) continue;
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: process.env.FULFILLMENT_PROGRESS_TABLE,
        Key: { orderId: { S: orderEvent.orderId } },
        UpdateExpression: 'SET #seq = :seq',
        ExpressionAttributeNames: { '#seq': 'seq' },
        ExpressionAttributeValues: { ':seq': { N: String(orderEvent.seq) } },
      }),
    );
    // HTTP/1.1, as orderflow's own Kinesis client: the only difference measured is the client built per call.
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
    await kinesis.send(
      new PutRecordCommand({
        StreamName: process.env.ACTIVITY_STREAM_NAME,
        PartitionKey: orderEvent.orderId,
        Data: Buffer.from(
          JSON.stringify({ orderId: orderEvent.orderId, type: orderEvent.type, seq: orderEvent.seq }),
        ),
      }),
    );
    console.log(JSON.stringify({ message: 'Event applied', orderId: orderEvent.orderId }));
  }
};
