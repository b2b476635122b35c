import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type LegacyOrderLink, LegacyOrderLinkConflictError } from '../core/legacy-status.js';
import type { LegacyOrderLinks } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';
import { createDocumentClient } from './document-client.js';

export interface LegacyOrderLinksOptions {
  client?: DynamoDBDocumentClient;
  /** The table `LEGACY_ORDERS_TABLE` names: key `orderId` (S), attributes `account` and `erpOrderNo`. */
  tableName: string;
}

/**
 * `LegacyOrderLinks` on a DynamoDB table keyed by `orderId`. Recording is one PutItem on the condition that the
 * order has no link yet or the very same one: a redelivered ERP message writes the same item again, and a reused
 * `messageId` (which derives the same order id) cannot move an order's link to another ERP order. Reads are
 * consistent: a status must never miss the link written just before its order was placed.
 */
export function createLegacyOrderLinks({
  client = createDocumentClient(),
  tableName,
}: LegacyOrderLinksOptions): LegacyOrderLinks {
  return {
    async record(link) {
      const { orderId, account, erpOrderNo } = link;
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { orderId, account, erpOrderNo } satisfies LegacyOrderLink,
            ConditionExpression:
              'attribute_not_exists(orderId) OR (#account = :account AND #erpOrderNo = :erpOrderNo)',
            ExpressionAttributeNames: { '#account': 'account', '#erpOrderNo': 'erpOrderNo' },
            ExpressionAttributeValues: { ':account': account, ':erpOrderNo': erpOrderNo },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new LegacyOrderLinkConflictError(link, { cause: error });
        }
        throw asDependencyError('DYNAMODB', error, orderId);
      }
    },

    async find(orderId) {
      let item: Record<string, unknown> | undefined;
      try {
        ({ Item: item } = await client.send(
          new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true }),
        ));
      } catch (error) {
        throw asDependencyError('DYNAMODB', error, orderId);
      }
      if (item === undefined) return undefined;
      const { account, erpOrderNo } = item;
      if (typeof account !== 'string' || typeof erpOrderNo !== 'string') {
        throw new Error(
          `The link of order '${orderId}' in ${tableName} lacks its account or erpOrderNo: only importLegacyOrder ` +
            'writes this table; restore the item from its ERP message or delete it.',
        );
      }
      return { orderId, account, erpOrderNo };
    },
  };
}
