import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReviewStore } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';
import { createDocumentClient } from './document-client.js';

/** `ReviewStore` on a DynamoDB table keyed by `orderId`: one case per order (conditional put). */
export function createReviewStore({
  client = createDocumentClient(),
  tableName,
}: {
  client?: DynamoDBDocumentClient;
  tableName: string;
}): ReviewStore {
  return {
    async open(reviewCase) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...reviewCase, status: 'OPEN' },
            ConditionExpression: 'attribute_not_exists(orderId)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw asDependencyError('DYNAMODB', error, reviewCase.orderId);
      }
    },
  };
}
