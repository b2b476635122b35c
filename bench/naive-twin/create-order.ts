import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

/** `POST /orders`, naively: a client per call, the order written, then its event published. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const body = JSON.parse(event.body ?? '{}');
  const total = body.items.reduce(
    (sum: number, item: { quantity: number; unitPrice: number }) => sum + item.quantity * item.unitPrice,
    0,
  );
  const now = new Date().toISOString();
  const order = {
    ...body,
    orderId: randomUUID(),
    total,
    status: 'PLACED',
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const dynamodb = new DynamoDBClient({});
  await dynamodb.send(new PutItemCommand({ TableName: process.env.ORDERS_TABLE, Item: marshall(order) }));
  const sns = new SNSClient({});
  await sns.send(
    new PublishCommand({
      TopicArn: process.env.ORDER_EVENTS_TOPIC_ARN,
      Message: JSON.stringify({ type: 'OrderPlaced', orderId: order.orderId, seq: 1, data: order }),
      MessageGroupId: order.orderId,
      MessageDeduplicationId: `${order.orderId}:1`,
      MessageAttributes: { eventType: { DataType: 'String', StringValue: 'OrderPlaced' } },
    }),
  );
  console.log(JSON.stringify({ message: 'Order created', orderId: order.orderId }));
  return { statusCode: 201, body: JSON.stringify(order) };
};
