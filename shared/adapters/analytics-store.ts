import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WindowSummary } from '../core/analytics.js';
import type { AnalyticsStore } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';
import { createDocumentClient } from './document-client.js';

const windowKey = (region: string, windowStart: string) => `WINDOW#${region}#${windowStart}`;
const openKey = (region: string) => `OPEN#${region}`;

/**
 * `AnalyticsStore` on one DynamoDB table (key `pk`): an item per window and region holding its figures and the set of
 * eventIds it counted (one conditional `ADD` per record: replay-safe without transactions), and an item per region
 * naming its open window. A window item holds its eventIds, so it counts up to about 9,000 records (400 KB).
 */
export function createAnalyticsStore({
  client = createDocumentClient(),
  tableName,
}: {
  client?: DynamoDBDocumentClient;
  tableName: string;
}): AnalyticsStore {
  const send = async <T>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      throw asDependencyError('DYNAMODB', error);
    }
  };

  return {
    async count(region, window, eventId, figures) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: windowKey(region, window.windowStart) },
            UpdateExpression:
              'SET windowStart = :start, windowEnd = :end, #region = :region ' +
              'ADD placed :placed, paid :paid, cancelled :cancelled, fulfilled :fulfilled, shipped :shipped, ' +
              'delivered :delivered, revenue :revenue, eventIds :ids',
            ConditionExpression: 'attribute_not_exists(eventIds) OR NOT contains(eventIds, :eventId)',
            ExpressionAttributeNames: { '#region': 'region' },
            ExpressionAttributeValues: {
              ':start': window.windowStart,
              ':end': window.windowEnd,
              ':region': region,
              ':placed': figures.placed,
              ':paid': figures.paid,
              ':cancelled': figures.cancelled,
              ':fulfilled': figures.fulfilled,
              ':shipped': figures.shipped,
              ':delivered': figures.delivered,
              ':revenue': figures.revenue,
              ':ids': new Set([eventId]),
              ':eventId': eventId,
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw asDependencyError('DYNAMODB', error);
      }
    },

    async figures(region, windowStart) {
      const { Item } = await send(() =>
        client.send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: windowKey(region, windowStart) },
            ConsistentRead: true,
          }),
        ),
      );
      if (Item === undefined) return undefined;
      const summary: WindowSummary = {
        windowStart: String(Item.windowStart),
        windowEnd: String(Item.windowEnd),
        region,
        placed: Number(Item.placed ?? 0),
        paid: Number(Item.paid ?? 0),
        cancelled: Number(Item.cancelled ?? 0),
        fulfilled: Number(Item.fulfilled ?? 0),
        // Absent from the windows counted before shipping and delivery were counted.
        shipped: Number(Item.shipped ?? 0),
        delivered: Number(Item.delivered ?? 0),
        revenue: Number(Item.revenue ?? 0),
      };
      return summary;
    },

    async openWindow(region) {
      const { Item } = await send(() =>
        client.send(
          new GetCommand({ TableName: tableName, Key: { pk: openKey(region) }, ConsistentRead: true }),
        ),
      );
      return Item === undefined
        ? undefined
        : { windowStart: String(Item.windowStart), windowEnd: String(Item.windowEnd) };
    },

    async moveOpenWindow(region, from, to) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: openKey(region) },
            UpdateExpression: 'SET windowStart = :to, windowEnd = :toEnd',
            ConditionExpression:
              from === undefined ? 'attribute_not_exists(windowStart)' : 'windowStart = :from',
            ExpressionAttributeValues: {
              ':to': to.windowStart,
              ':toEnd': to.windowEnd,
              ...(from === undefined ? {} : { ':from': from.windowStart }),
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw asDependencyError('DYNAMODB', error);
      }
    },
  };
}
