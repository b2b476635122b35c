import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient } from './clients.js';

/**
 * DynamoDB items as plain objects; `undefined` attributes are left out rather than refused. Apart from the other
 * clients (`clients.ts`): `@aws-sdk/lib-dynamodb` does not declare its modules free of side effects, so whatever
 * imports it carries the DynamoDB client, used or not.
 */
export function createDocumentClient(client = createDynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
