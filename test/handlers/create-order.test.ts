import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import type { CreateOrderBody } from '../../shared/core/order-schema.js';
import type { ApiEventOptions } from '../support/api-event.js';
import { apiEvent, lambdaContext } from '../support/api-event.js';
import { fromAttributeMap } from '../support/fake-dynamodb.js';
import {
  CREATE_ORDER_TOTAL,
  createOrderBody,
  ISO_TIMESTAMP_PATTERN,
  orderIdOf,
  UUID_PATTERN,
} from '../support/order-fixtures.js';
import type { ParsedResponse } from '../support/order-world.js';
import {
  dynamoDbThrottling,
  expectServiceUnavailable,
  IDEMPOTENCY_TABLE,
  invoke,
  ORDERS_TABLE,
  OrderWorld,
  orderEventPublish,
  snsThrottling,
  useOrderWorld,
} from '../support/order-world.js';

/** A valid create body padded with JSON whitespace to exactly the 64 KiB limit. */
const EXACTLY_64_KIB = (() => {
  const json = JSON.stringify(createOrderBody());
  return json + ' '.repeat(64 * 1024 - Buffer.byteLength(json, 'utf8'));
})();
const ITEM = { sku: 'SKU-1', quantity: 1, unitPrice: 100 };

type AcceptedRequest = Pick<ApiEventOptions, 'body' | 'rawBody' | 'base64' | 'headers' | 'claims'>;

/** Requests at the edges of the field rules, which the contract accepts. */
const ACCEPTED: ReadonlyArray<[string, AcceptedRequest]> = [
  [
    'a customerId of 64 characters of every allowed kind',
    {
      body: createOrderBody({ customerId: `Aa0_-${'x'.repeat(59)}` }),
      claims: { sub: `Aa0_-${'x'.repeat(59)}` },
    },
  ],
  [
    'a quantity of 1000 at the highest unit price',
    { body: createOrderBody({ items: [{ ...ITEM, quantity: 1000, unitPrice: 10_000_000 }] }) },
  ],
  ['a free item', { body: createOrderBody({ items: [{ ...ITEM, unitPrice: 0 }] }) }],
  ['50 items', { body: createOrderBody({ items: Array.from({ length: 50 }, () => ITEM) }) }],
  [
    'a sku of 32 characters',
    { body: createOrderBody({ items: [{ ...ITEM, sku: `SKU-0${'9'.repeat(27)}` }] }) },
  ],
  ['a currency outside the ISO list', { body: createOrderBody({ currency: 'XYZ' }) }],
  ['another region', { body: createOrderBody({ region: 'ap-southeast' }) }],
  [
    'an Idempotency-Key of 128 characters of every allowed kind',
    { body: createOrderBody(), headers: { 'idempotency-key': `Az09._:-${'k'.repeat(120)}` } },
  ],
  [
    'a JSON content type with a charset',
    { body: createOrderBody(), headers: { 'content-type': 'application/json; charset=utf-8' } },
  ],
  ['a body of exactly 64 KiB', { rawBody: EXACTLY_64_KIB, headers: { 'content-type': 'application/json' } }],
  ['a base64-encoded body', { body: createOrderBody(), base64: true }],
];

const world = new OrderWorld();
const handlers = useOrderWorld(world);

const IDEMPOTENCY_KEY = 'create-2024-05-01.0001';

/** The condition Powertools puts on the in-progress record: only a new, expired or abandoned key may be taken. */
const IN_PROGRESS_CONDITION =
  'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)';

function postOrder(body: unknown, headers: Record<string, string> = {}): Promise<ParsedResponse> {
  return invoke(
    handlers.createOrder,
    apiEvent({ method: 'POST', path: '/orders', body, headers }),
    lambdaContext({ functionName: 'orderflow-test-createOrder' }),
  );
}

function expectedPendingEvent(order: Record<string, unknown>, body: CreateOrderBody, correlationId: string) {
  return {
    eventId: expect.stringMatching(UUID_PATTERN),
    type: 'OrderPlaced',
    orderId: order.orderId,
    customerId: body.customerId,
    seq: 1,
    occurredAt: order.createdAt,
    correlationId,
    data: { currency: body.currency, region: body.region, items: body.items, total: CREATE_ORDER_TOTAL },
  };
}

/** The order item the first `PutCommand` wrote, without its outbox. */
function firstWrittenOrder(): Record<string, unknown> {
  const item = world.documentClient.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
  const { pendingEvent: _pendingEvent, ...order } = item;
  return order;
}

describe('createOrder (POST /orders)', () => {
  it('places the order, publishes OrderPlaced with the request’s correlation id and clears the outbox', async () => {
    // Prepare
    const body = createOrderBody();

    // Act
    const response = await postOrder(body, { 'x-correlation-id': 'demo-1' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-correlation-id']).toBe('demo-1');
    const orderId = orderIdOf(response.body);
    expect(orderId).toMatch(UUID_PATTERN);
    expect(response.headers.location).toBe(`/orders/${orderId}`);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual({
      orderId,
      customerId: 'cust_42',
      currency: 'EUR',
      region: 'eu-west',
      items: body.items,
      total: 2 * 1999 + 500,
      status: 'PLACED',
      version: 1,
      createdAt: expect.stringMatching(ISO_TIMESTAMP_PATTERN),
      updatedAt: response.body.createdAt,
    });
    const pendingEvent = expectedPendingEvent(response.body, body, 'demo-1');
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: ORDERS_TABLE,
      Item: { ...response.body, pendingEvent },
      ConditionExpression: 'attribute_not_exists(orderId)',
    });
    expect(world.sns).toHaveReceivedCommandExactlyOnceWith(
      PublishCommand,
      orderEventPublish(orderId, 1, 'OrderPlaced', 'demo-1'),
    );
    expect(world.publishedEvents()).toEqual([
      world.documentClient.commandCalls(PutCommand)[0]?.args[0].input.Item?.pendingEvent,
    ]);
    expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: ORDERS_TABLE,
      Key: { orderId },
      UpdateExpression: 'REMOVE pendingEvent',
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': 1 },
    });
    expect(world.timeline()).toEqual(['orders.Put', 'sns.Publish', 'orders.Update']);
    expect(world.orders.item(orderId)).toEqual(response.body);
  });

  it('defaults the region to eu-west', async () => {
    // Prepare
    const { region: _region, ...body } = createOrderBody();

    // Act
    const response = await postOrder(body);

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.body.region).toBe('eu-west');
    expect(world.sns).toHaveReceivedCommandWith(PublishCommand, {
      MessageAttributes: expect.objectContaining({ region: { DataType: 'String', StringValue: 'eu-west' } }),
    });
  });

  it('guards the command with the Idempotency-Key and stores its response', async () => {
    // Act
    const response = await postOrder(createOrderBody(), { 'Idempotency-Key': IDEMPOTENCY_KEY });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers['idempotent-replayed']).toBeUndefined();
    expect(world.timeline()).toEqual([
      'idempotency.PutItem',
      'orders.Put',
      'sns.Publish',
      'orders.Update',
      'idempotency.UpdateItem',
    ]);
    expect(world.dynamodb).toHaveReceivedCommandExactlyOnceWith(PutItemCommand, {
      TableName: IDEMPOTENCY_TABLE,
      ConditionExpression: IN_PROGRESS_CONDITION,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const putItem = fromAttributeMap(world.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item);
    expect(putItem).toMatchObject({ id: expect.stringMatching(/^createOrder#/), status: 'INPROGRESS' });
    const stored = world.idempotency.item(String(putItem?.id));
    expect(stored).toMatchObject({
      status: 'COMPLETED',
      data: { statusCode: 201, headers: { location: `/orders/${orderIdOf(response.body)}` } },
    });
    expect(stored?.data).toMatchObject({ body: response.rawBody });
  });

  it('answers a replay of the same key and body with the first response and publishes nothing new', async () => {
    // Prepare
    const body = createOrderBody();
    const first = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });
    const orderCallsAfterFirst = world.documentClient.calls().length;

    // Act
    const replay = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });

    // Assess
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(first.statusCode);
    expect(orderIdOf(replay.body)).toBe(orderIdOf(first.body));
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers.location).toBe(first.headers.location);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(world.documentClient.calls()).toHaveLength(orderCallsAfterFirst);
    expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(world.dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(world.dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('refuses the same key with another body with a 422 problem and publishes nothing', async () => {
    // Prepare
    await postOrder(createOrderBody(), { 'idempotency-key': IDEMPOTENCY_KEY });
    const otherBody = createOrderBody({ items: [{ sku: 'SKU-1', quantity: 3, unitPrice: 1999 }] });

    // Act
    const response = await postOrder(otherBody, { 'idempotency-key': IDEMPOTENCY_KEY });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toEqual({
      type: '/problems/idempotency-key-reused',
      title: 'Idempotency-Key reused',
      status: 422,
      detail: expect.stringContaining('Idempotency-Key'),
      instance: '/orders',
    });
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(world.orders.size).toBe(1);
  });

  it('answers 409 with Retry-After while a request with the same key is still in flight', async () => {
    // Prepare
    let releasePublish: () => void = () => undefined;
    const publishStarted = new Promise<void>((started) => {
      world.sns.on(PublishCommand).callsFake(() => {
        started();
        return new Promise((resolve) => {
          releasePublish = () => resolve({ MessageId: 'first-message' });
        });
      });
    });
    const body = createOrderBody();
    const firstInFlight = postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });
    await publishStarted;

    // Act
    const second = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });
    releasePublish();
    const first = await firstInFlight;

    // Assess
    expect(second.statusCode).toBe(409);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.body).toMatchObject({ type: '/problems/request-in-progress', status: 409 });
    expect(first.statusCode).toBe(201);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('answers 503 with Retry-After, not 500, when the function runs out of time before the request finished', async () => {
    // Prepare
    world.sns.on(PublishCommand).callsFake(() => new Promise(() => {}));

    // Act
    const response = await invoke(
      handlers.createOrder,
      apiEvent({
        method: 'POST',
        path: '/orders',
        body: createOrderBody(),
        headers: { 'idempotency-key': IDEMPOTENCY_KEY },
      }),
      lambdaContext({ functionName: 'orderflow-test-createOrder', remainingTimeInMillis: 200 }),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toMatchObject({
      type: '/problems/service-unavailable',
      detail: 'The request ran out of time before it finished; retry the same request.',
    });
  });

  it("answers 409 request-in-progress when the key's record vanished between taking and reading it", async () => {
    // Prepare: the in-progress record exists when this request tries to take it, and is gone when it reads it.
    world.dynamodb.on(PutItemCommand).rejects(
      Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    world.dynamodb.on(GetItemCommand).resolves({});

    // Act
    const response = await postOrder(createOrderBody(), { 'idempotency-key': IDEMPOTENCY_KEY });

    // Assess
    expect(response.statusCode).toBe(409);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toMatchObject({ type: '/problems/request-in-progress' });
  });

  it('makes two orders from the same body sent twice without a key', async () => {
    // Prepare
    const body = createOrderBody();

    // Act
    const first = await postOrder(body);
    const second = await postOrder(body);

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(orderIdOf(second.body)).not.toBe(orderIdOf(first.body));
    expect(world.orders.size).toBe(2);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(world.dynamodb).not.toHaveReceivedAnyCommand();
  });

  it.each(ACCEPTED)('accepts %s', async (_name, request) => {
    // Act
    const response = await invoke(
      handlers.createOrder,
      apiEvent({ method: 'POST', path: '/orders', ...request }),
      lambdaContext(),
    );

    // Assess
    expect(response.statusCode).toBe(201);
    expect(world.documentClient).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  describe('when a dependency fails', () => {
    it.each(['ThrottlingException', 'ProvisionedThroughputExceededException'] as const)(
      'answers 503 when the order write is throttled (%s) and lets the retry place it',
      async (name) => {
        // Prepare
        const body = createOrderBody();
        world.documentClient.on(PutCommand).rejects(dynamoDbThrottling(name));

        // Act
        const response = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });

        // Assess
        expectServiceUnavailable(response, 'DynamoDB');
        expect(world.sns).not.toHaveReceivedAnyCommand();
        expect(world.dynamodb).toHaveReceivedCommandExactlyOnceWith(DeleteItemCommand, {
          TableName: IDEMPOTENCY_TABLE,
          Key: world.idempotencyRecordKey(),
        });
        expect(world.idempotency.size).toBe(0);

        // Act: the client retries
        world.serve();
        const retry = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });

        // Assess
        expect(retry.statusCode).toBe(201);
        expect(world.sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
          MessageDeduplicationId: `${orderIdOf(retry.body)}:1`,
        });
      },
    );

    it('answers 503 without touching the order when the idempotency store is throttled', async () => {
      // Prepare
      world.dynamodb.on(PutItemCommand).rejects(dynamoDbThrottling('ProvisionedThroughputExceededException'));

      // Act
      const response = await postOrder(createOrderBody(), { 'idempotency-key': IDEMPOTENCY_KEY });

      // Assess
      expectServiceUnavailable(response, 'DynamoDB');
      expect(world.documentClient).not.toHaveReceivedAnyCommand();
      expect(world.sns).not.toHaveReceivedAnyCommand();
    });

    it('keeps the order with its pending event and frees the key when SNS throttles a create with a key', async () => {
      // Prepare
      world.sns.on(PublishCommand).rejects(snsThrottling());

      // Act
      const response = await postOrder(createOrderBody(), { 'idempotency-key': IDEMPOTENCY_KEY });

      // Assess
      expectServiceUnavailable(response, 'SNS');
      const written = firstWrittenOrder();
      const orderId = String(written.orderId);
      expect(world.orders.item(orderId)).toMatchObject({
        status: 'PLACED',
        version: 1,
        pendingEvent: { type: 'OrderPlaced', seq: 1 },
      });
      expect(world.documentClient).not.toHaveReceivedCommand(DeleteCommand);
      expect(world.documentClient).not.toHaveReceivedCommand(UpdateCommand);
      expect(world.dynamodb).toHaveReceivedCommandExactlyOnceWith(DeleteItemCommand, {
        TableName: IDEMPOTENCY_TABLE,
        Key: world.idempotencyRecordKey(),
      });
      expect(world.dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
      expect(world.idempotency.size).toBe(0);
    });

    it('completes the publish on a retry with the same key after SNS throttled the first attempt', async () => {
      // Prepare
      const body = createOrderBody();
      world.sns.on(PublishCommand).rejects(snsThrottling());
      const failed = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });
      const written = firstWrittenOrder();
      const orderId = String(written.orderId);
      world.serve();

      // Act
      const retry = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(retry.statusCode).toBe(201);
      expect(orderIdOf(retry.body)).toBe(orderId);
      expect(retry.body).toEqual(written);
      expect(retry.headers.location).toBe(`/orders/${orderId}`);
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 2);
      expect(world.sns).toHaveReceivedNthCommandWith(PublishCommand, 2, {
        MessageGroupId: orderId,
        MessageDeduplicationId: `${orderId}:1`,
        Message: world.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message,
      });
      expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
        Key: { orderId },
        UpdateExpression: 'REMOVE pendingEvent',
        ExpressionAttributeValues: { ':version': 1 },
      });
      expect(world.orders.item(orderId)).toEqual(written);
      expect(world.orders.size).toBe(1);
    });

    it('discards the unpublished order when SNS throttles a create without a key', async () => {
      // Prepare
      world.sns.on(PublishCommand).rejects(snsThrottling());

      // Act
      const response = await postOrder(createOrderBody());

      // Assess
      expectServiceUnavailable(response);
      const orderId = String(firstWrittenOrder().orderId);
      expect(world.documentClient).toHaveReceivedCommandExactlyOnceWith(DeleteCommand, {
        TableName: ORDERS_TABLE,
        Key: { orderId },
        ConditionExpression: '#version = :first AND attribute_exists(pendingEvent)',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':first': 1 },
      });
      expect(world.orders.size).toBe(0);
      expect(world.dynamodb).not.toHaveReceivedAnyCommand();
    });

    it.each([
      ['timed out', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
      [
        'failed on its side',
        Object.assign(new Error('We encountered an internal error'), {
          name: 'InternalErrorException',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        }),
      ],
    ])(
      'keeps a create without a key placed when SNS %s (the event may be out): 201, its event pending',
      async (_, error) => {
        // Prepare
        world.sns.on(PublishCommand).rejects(error);

        // Act
        const response = await postOrder(createOrderBody());

        // Assess
        expect(response.statusCode).toBe(201);
        const orderId = orderIdOf(response.body);
        expect(world.orders.item(orderId)).toMatchObject({
          status: 'PLACED',
          version: 1,
          pendingEvent: { seq: 1 },
        });
        expect(world.documentClient).not.toHaveReceivedCommand(DeleteCommand);
        expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      },
    );

    it('still answers 201 when the outbox cannot be cleared, leaving the event pending for a republish', async () => {
      // Prepare
      world.documentClient.on(UpdateCommand).rejects(dynamoDbThrottling('ThrottlingException'));

      // Act
      const response = await postOrder(createOrderBody());

      // Assess
      expect(response.statusCode).toBe(201);
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(world.orders.item(orderIdOf(response.body))).toMatchObject({ pendingEvent: { seq: 1 } });
    });

    it('answers the placed order to a retry once the key of an attempt whose response was not saved is free', async () => {
      // Prepare
      const body = createOrderBody();
      world.dynamodb.on(UpdateItemCommand).rejects(dynamoDbThrottling('ThrottlingException'));
      const failed = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });
      world.serve();
      const tooEarly = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });

      // Act
      const retry = await postOrder(body, { 'idempotency-key': IDEMPOTENCY_KEY });

      // Assess
      expect(failed.statusCode).toBe(503);
      expect(failed.headers['retry-after']).toBe('1');
      expect(tooEarly.statusCode).toBe(409);
      expect(tooEarly.headers['retry-after']).toBe('1');
      expect(retry.statusCode).toBe(201);
      expect(retry.body).toEqual(firstWrittenOrder());
      expect(world.sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(world.orders.size).toBe(1);
    });
  });
});
