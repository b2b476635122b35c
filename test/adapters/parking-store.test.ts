import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../shared/adapters/document-client.js';
import { createParkingStore } from '../../shared/adapters/parking-store.js';
import { conditionFailed } from '../support/fake-dynamodb.js';
import { receivedDeadLetter } from '../support/fake-redrive-ports.js';

const PARKING_TABLE = 'orderflow-test-redrive';
const QUEUE = 'fulfillment';
const ORDER_ID = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';
const NOW = Date.parse('2024-05-01T10:30:00.000Z');

const documentClient = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  documentClient.reset();
});

const parkingStore = () =>
  createParkingStore({
    client: createDocumentClient(new DynamoDBClient({})),
    tableName: PARKING_TABLE,
    now: () => NOW,
  });

describe('createParkingStore', () => {
  it('stages the whole message under its queue, unconditionally', async () => {
    // Prepare
    documentClient.on(PutCommand).resolves({});
    const message = receivedDeadLetter(ORDER_ID);

    // Act
    await parkingStore().stage(QUEUE, message);

    // Assess
    expect(documentClient.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: PARKING_TABLE, Item: { pk: 'STAGED#fulfillment', sk: 'm-1', stagedAt: NOW, message } },
    ]);
  });

  it('lists the staged messages of every page in staging order', async () => {
    // Prepare
    const first = receivedDeadLetter(ORDER_ID, { messageId: 'm-b', seq: 1 });
    const second = receivedDeadLetter(ORDER_ID, { messageId: 'm-a', seq: 3 });
    const third = receivedDeadLetter(ORDER_ID, { messageId: 'm-c', seq: undefined, orderId: undefined });
    const { orderId: _orderId, seq: _seq, ...stored } = third; // what DynamoDB gives back without undefined values
    documentClient
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ pk: 'STAGED#fulfillment', sk: 'm-c', stagedAt: NOW + 1, message: stored }],
        LastEvaluatedKey: { pk: 'STAGED#fulfillment', sk: 'm-c' },
      })
      .resolvesOnce({
        Items: [
          { pk: 'STAGED#fulfillment', sk: 'm-a', stagedAt: NOW, message: second },
          { pk: 'STAGED#fulfillment', sk: 'm-b', stagedAt: NOW - 1, message: first },
        ],
      });

    // Act
    const staged = await parkingStore().staged(QUEUE);

    // Assess
    expect(staged).toEqual([first, second, third]);
    expect(documentClient.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: PARKING_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'STAGED#fulfillment' },
        ConsistentRead: true,
        ExclusiveStartKey: undefined,
      },
      {
        TableName: PARKING_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'STAGED#fulfillment' },
        ConsistentRead: true,
        ExclusiveStartKey: { pk: 'STAGED#fulfillment', sk: 'm-c' },
      },
    ]);
  });

  it('parks a message with its reason and then removes it from the staged ones', async () => {
    // Prepare
    documentClient.on(PutCommand).resolves({});
    documentClient.on(DeleteCommand).resolves({});
    const message = receivedDeadLetter(ORDER_ID, { redriveCount: 3 });

    // Act
    await parkingStore().park(QUEUE, message, 'redriven 3 times (limit 3)');

    // Assess
    expect(documentClient.calls().map((call) => call.args[0].input)).toEqual([
      {
        TableName: PARKING_TABLE,
        Item: {
          pk: 'PARKED#fulfillment',
          sk: 'm-1',
          reason: 'redriven 3 times (limit 3)',
          parkedAt: '2024-05-01T10:30:00.000Z',
          message,
        },
      },
      { TableName: PARKING_TABLE, Key: { pk: 'STAGED#fulfillment', sk: 'm-1' } },
    ]);
  });

  it('unparks a message by reading it, staging it with its redrive count reset, then deleting the parked copy', async () => {
    // Prepare
    const message = receivedDeadLetter(ORDER_ID, { redriveCount: 3 });
    documentClient.on(GetCommand).resolves({
      Item: {
        pk: 'PARKED#fulfillment',
        sk: 'm-1',
        reason: 'redriven 3 times (limit 3)',
        parkedAt: 'x',
        message,
      },
    });
    documentClient.on(PutCommand).resolves({});
    documentClient.on(DeleteCommand).resolves({});

    // Act
    const unparked = await parkingStore().unpark(QUEUE, 'm-1');

    // Assess
    expect(unparked).toEqual({ ...message, redriveCount: 0 });
    expect(documentClient.calls().map((call) => call.args[0].input)).toEqual([
      { TableName: PARKING_TABLE, Key: { pk: 'PARKED#fulfillment', sk: 'm-1' }, ConsistentRead: true },
      {
        TableName: PARKING_TABLE,
        Item: {
          pk: 'STAGED#fulfillment',
          sk: 'm-1',
          stagedAt: NOW,
          message: { ...message, redriveCount: 0 },
        },
      },
      { TableName: PARKING_TABLE, Key: { pk: 'PARKED#fulfillment', sk: 'm-1' } },
    ]);
  });

  it('unparks nothing, and writes nothing, for an id that is not parked', async () => {
    // Prepare
    documentClient.on(GetCommand).resolves({});

    // Act
    const unparked = await parkingStore().unpark(QUEUE, 'm-404');

    // Assess
    expect(unparked).toBeUndefined();
    expect(documentClient.calls()).toHaveLength(1);
  });

  it('releases a staged message by deleting it', async () => {
    // Prepare
    documentClient.on(DeleteCommand).resolves({});

    // Act
    await parkingStore().release(QUEUE, receivedDeadLetter(ORDER_ID));

    // Assess
    expect(documentClient.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: PARKING_TABLE, Key: { pk: 'STAGED#fulfillment', sk: 'm-1' } },
    ]);
  });

  it('gives each group the lowest seq of its parked messages, 0 for one without a seq', async () => {
    // Prepare
    const parked = (messageId: string, groupId: string, seq?: number) => ({
      pk: 'PARKED#fulfillment',
      sk: messageId,
      reason: 'redriven 3 times (limit 3)',
      parkedAt: '2024-05-01T10:30:00.000Z',
      message: receivedDeadLetter(ORDER_ID, { messageId, groupId, seq }),
    });
    documentClient.on(QueryCommand).resolves({
      Items: [parked('m-1', 'group-a', 5), parked('m-2', 'group-a', 3), parked('m-3', 'group-b')],
    });

    // Act
    const parkedAt = await parkingStore().parkedAt(QUEUE);

    // Assess
    expect(parkedAt).toEqual(
      new Map([
        ['group-a', 3],
        ['group-b', 0],
      ]),
    );
    expect(documentClient.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: PARKING_TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'PARKED#fulfillment' },
    });
  });
});

describe('createParkingStore as a redrive lock', () => {
  it('acquires a free lock until its expiry, leaving an expired lock to the table condition', async () => {
    // Prepare
    documentClient.on(PutCommand).resolves({});

    // Act
    const acquired = await parkingStore().lock(QUEUE, 'owner-1', 60_000);

    // Assess
    expect(acquired).toBe(true);
    const input = documentClient.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TableName: PARKING_TABLE,
      Item: { pk: 'LOCK#fulfillment', sk: 'LOCK', owner: 'owner-1', expiresAt: NOW + 60_000 },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': NOW },
    });
    expect(typeof input?.ExpressionAttributeValues?.[':now']).toBe('number');
  });

  it('refuses the lock to a second owner while the first holds it', async () => {
    // Prepare
    documentClient.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    const lock = parkingStore();

    // Act
    const first = await lock.lock(QUEUE, 'owner-1', 60_000);
    const second = await lock.lock(QUEUE, 'owner-2', 60_000);

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(documentClient.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.owner)).toEqual([
      'owner-1',
      'owner-2',
    ]);
  });

  it('releases the lock only for its owner, and a lost condition is not an error', async () => {
    // Prepare
    documentClient.on(DeleteCommand).resolvesOnce({}).rejects(conditionFailed());
    const lock = parkingStore();

    // Act
    await lock.unlock(QUEUE, 'owner-1');
    await lock.unlock(QUEUE, 'owner-1');

    // Assess
    const lockRelease = {
      TableName: PARKING_TABLE,
      Key: { pk: 'LOCK#fulfillment', sk: 'LOCK' },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': 'owner-1' },
    };
    expect(documentClient.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      lockRelease,
      lockRelease,
    ]);
  });

  it('passes on an error other than a lost condition', async () => {
    // Prepare
    documentClient.on(PutCommand).rejects(new Error('AccessDeniedException'));

    // Act
    const acquiring = parkingStore().lock(QUEUE, 'owner-1', 60_000);

    // Assess
    await expect(acquiring).rejects.toThrow('AccessDeniedException');
  });
});
