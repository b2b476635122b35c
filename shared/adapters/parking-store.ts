import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ParkingStore, ReceivedDeadLetter, RedriveLock } from '../core/ports.js';
import * as z from '../core/zod.js';
import { asDependencyError } from './dependency-error.js';
import { createDocumentClient } from './document-client.js';

/** A staged or parked item's `message`, read back at the edge. */
const storedMessageSchema = z.object({
  messageId: z.string(),
  groupId: z.string(),
  orderId: z.optional(z.string()),
  seq: z.optional(z.number()),
  redriveCount: z.number(),
  body: z.string(),
  receiptHandle: z.string(),
  attributes: z.record(z.string(), z.object({ DataType: z.string(), StringValue: z.optional(z.string()) })),
});

const stagedItemSchema = z.object({ stagedAt: z.number(), message: storedMessageSchema });
const parkedItemSchema = z.object({ message: z.pick(storedMessageSchema, { groupId: true, seq: true }) });
const parkedMessageSchema = z.object({ message: storedMessageSchema });

const stagedKey = (queue: string, messageId: string) => ({ pk: `STAGED#${queue}`, sk: messageId });
const parkedKey = (queue: string, messageId: string) => ({ pk: `PARKED#${queue}`, sk: messageId });
const lockKey = (queue: string) => ({ pk: `LOCK#${queue}`, sk: 'LOCK' });

/**
 * `ParkingStore` and `RedriveLock` on one DynamoDB table keyed by `pk` and `sk`: staged messages under
 * `STAGED#<queue>`, parked ones under `PARKED#<queue>`, the queue's lock at `LOCK#<queue>` / `LOCK`. Every write is
 * one single-item write (dynalite has no transactions); the lock's expiry is decided by the table's condition, not
 * by a read.
 * `now` is the clock (epoch ms) for `stagedAt`, `parkedAt` and the lock's expiry.
 */
export function createParkingStore({
  client = createDocumentClient(),
  tableName,
  now = Date.now,
}: {
  client?: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
}): ParkingStore & RedriveLock {
  // Strictly increasing within this store, so that messages staged in the same millisecond keep the DLQ's order.
  let lastStagedAt = 0;
  const stagedAt = (): number => {
    lastStagedAt = Math.max(now(), lastStagedAt + 1);
    return lastStagedAt;
  };

  const send = async <T>(action: () => Promise<T>, orderId?: string): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      throw asDependencyError('DYNAMODB', error, orderId);
    }
  };

  const queryAll = (pk: string): Promise<Record<string, unknown>[]> =>
    send(async () => {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return items;
    });

  const unstage = (queue: string, message: ReceivedDeadLetter): Promise<void> =>
    send(async () => {
      await client.send(
        new DeleteCommand({ TableName: tableName, Key: stagedKey(queue, message.messageId) }),
      );
    }, message.orderId);

  const releaseLock = (queue: string, owner: string): Promise<void> =>
    send(async () => {
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: lockKey(queue),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        );
      } catch (error) {
        // Expired and taken by another redrive, or already gone: nothing of ours to give back.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });

  const stage = (queue: string, message: ReceivedDeadLetter): Promise<void> =>
    send(async () => {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...stagedKey(queue, message.messageId), stagedAt: stagedAt(), message },
        }),
      );
    }, message.orderId);

  return {
    stage,

    async staged(queue) {
      const items = (await queryAll(`STAGED#${queue}`)).map((item) => stagedItemSchema.parse(item));
      return items
        .sort((a, b) => a.stagedAt - b.stagedAt || (a.message.messageId < b.message.messageId ? -1 : 1))
        .map(({ message }) => toDeadLetter(message));
    },

    async park(queue, message, reason) {
      await send(async () => {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...parkedKey(queue, message.messageId),
              reason,
              parkedAt: new Date(now()).toISOString(),
              message,
            },
          }),
        );
      }, message.orderId);
      await unstage(queue, message);
    },

    async parkedAt(queue) {
      const parkedAt = new Map<string, number>();
      for (const item of await queryAll(`PARKED#${queue}`)) {
        const { groupId, seq = 0 } = parkedItemSchema.parse(item).message;
        parkedAt.set(groupId, Math.min(seq, parkedAt.get(groupId) ?? seq));
      }
      return parkedAt;
    },

    async lock(queue, owner, ttlMs) {
      const at = now();
      return send(async () => {
        try {
          await client.send(
            new PutCommand({
              TableName: tableName,
              Item: { ...lockKey(queue), owner, expiresAt: at + ttlMs },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
              ExpressionAttributeValues: { ':now': at },
            }),
          );
          return true;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return false;
          throw error;
        }
      });
    },

    async unpark(queue, messageId) {
      const parked = await send(async () => {
        const { Item } = await client.send(
          new GetCommand({ TableName: tableName, Key: parkedKey(queue, messageId), ConsistentRead: true }),
        );
        return Item;
      });
      if (parked === undefined) return undefined;
      const message = { ...toDeadLetter(parkedMessageSchema.parse(parked).message), redriveCount: 0 };
      await stage(queue, message);
      await send(async () => {
        await client.send(new DeleteCommand({ TableName: tableName, Key: parkedKey(queue, messageId) }));
      }, message.orderId);
      return message;
    },

    release: unstage,
    unlock: releaseLock,
  };
}

/** A stored message as the port gives it: `orderId` and `seq` present, `undefined` when the body had none. */
function toDeadLetter(message: z.infer<typeof storedMessageSchema>): ReceivedDeadLetter {
  return { ...message, orderId: message.orderId, seq: message.seq };
}
