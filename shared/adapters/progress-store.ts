import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ProgressStore } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';
import { createDocumentClient } from './document-client.js';

/** `ProgressStore` on a DynamoDB table keyed by `orderId`, attribute `seq`: one conditional write per advance. */
export function createProgressStore({
  client = createDocumentClient(),
  tableName,
}: {
  client?: DynamoDBDocumentClient;
  tableName: string;
}): ProgressStore {
  return {
    async applied(orderId) {
      try {
        const { Item } = await client.send(
          new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }),
        );
        return typeof Item?.seq === 'number' ? Item.seq : 0;
      } catch (error) {
        throw asDependencyError('DYNAMODB', error, orderId);
      }
    },

    async advance(orderId, from, to) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { orderId },
            UpdateExpression: 'SET #seq = :to',
            ConditionExpression: from === 0 ? 'attribute_not_exists(#seq)' : '#seq = :from',
            ExpressionAttributeNames: { '#seq': 'seq' },
            ExpressionAttributeValues: from === 0 ? { ':to': to } : { ':to': to, ':from': from },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw asDependencyError('DYNAMODB', error, orderId);
      }
    },
  };
}
