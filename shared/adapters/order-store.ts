import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../core/errors.js';
import type { CommandKeys, LastCommand, Order, OrderRecord } from '../core/order.js';
import type { OrderEvent } from '../core/order-events.js';
import type { OrderStore } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';
import { createDocumentClient } from './document-client.js';

export interface OrderStoreOptions {
  client?: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * The item: the order's fields at the top level, plus `pendingEvent` while its last event is unpublished,
 * `lastCommand` when the last change came with an `Idempotency-Key`, and `commandKeys` once any change did.
 */
type OrderItem = Order & { pendingEvent?: OrderEvent; lastCommand?: LastCommand; commandKeys?: CommandKeys };

/** `OrderStore` on a DynamoDB table keyed by `orderId`, with single-item conditional writes on `version`. */
export function createOrderStore({
  client = createDocumentClient(),
  tableName,
}: OrderStoreOptions): OrderStore {
  const send = async <T>(orderId: string, action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      throw asDependencyError('DYNAMODB', error, orderId);
    }
  };

  return {
    async get(orderId) {
      const { Item } = await send(orderId, () =>
        client.send(new GetCommand({ TableName: tableName, Key: { orderId }, ConsistentRead: true })),
      );
      if (Item === undefined) return undefined;
      const { pendingEvent, lastCommand, commandKeys, ...order } = Item as OrderItem;
      return { order, pendingEvent, lastCommand, commandKeys } satisfies OrderRecord;
    },

    async create(order, pendingEvent) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...order, pendingEvent } satisfies OrderItem,
            ConditionExpression: 'attribute_not_exists(orderId)',
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw asDependencyError('DYNAMODB', error, order.orderId);
      }
    },

    async update({ order, pendingEvent, lastCommand, commandKeys }, expectedVersion) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...order, pendingEvent, lastCommand, commandKeys } satisfies OrderItem,
            ConditionExpression: '#version = :expectedVersion',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expectedVersion': expectedVersion },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new ConcurrentUpdateError(order.orderId, expectedVersion, { cause: error });
        }
        throw asDependencyError('DYNAMODB', error, order.orderId);
      }
    },

    async markPublished(orderId, version) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { orderId },
            UpdateExpression: 'REMOVE pendingEvent',
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': version },
          }),
        );
      } catch (error) {
        // A newer version replaced the pending event already: nothing left to clear.
        if (error instanceof ConditionalCheckFailedException) return;
        throw asDependencyError('DYNAMODB', error, orderId);
      }
    },

    async discardUnpublished(orderId) {
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { orderId },
            ConditionExpression: '#version = :first AND attribute_exists(pendingEvent)',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':first': 1 },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return;
        throw asDependencyError('DYNAMODB', error, orderId);
      }
    },
  };
}
