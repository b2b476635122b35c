import type {
  AttributeValue,
  DeleteItemCommandInput,
  GetItemCommandInput,
  PutItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ThrottlingException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import type {
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import type { Order } from '../../shared/core/order.js';
import type { OrderEvent } from '../../shared/core/order-events.js';
import type { OrderStatus } from '../../shared/core/status-machine.js';
import type { HttpResponse } from '../../shared/http/responses.js';
import { type ApiEventOptions, apiEvent, lambdaContext } from './api-event.js';
import { conditionOf, FakeTable, fromAttributeMap, toAttributeMap, updateOf } from './fake-dynamodb.js';
import { CREATE_ORDER_TOTAL, orderItem, storedOrder } from './order-fixtures.js';
import { commandName, inCallOrder } from './sdk-calls.js';

export const ORDERS_TABLE = 'orderflow-test-orders';
export const IDEMPOTENCY_TABLE = 'orderflow-test-idempotency';
export const ORDER_EVENTS_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:orderflow-test-order-events.fifo';

/**
 * The SNS Publish of an event of the test order (`CREATE_ORDER_TOTAL`, EUR, eu-west): its order as message group,
 * `orderId:seq` as deduplication id, and the four attributes the subscriptions filter on.
 */
/** The `Publish` of an order's event; with the correlation id attribute when the event carries one. */
export function orderEventPublish(orderId: string, seq: number, eventType: string, correlationId?: string) {
  return {
    TopicArn: ORDER_EVENTS_TOPIC_ARN,
    MessageGroupId: orderId,
    MessageDeduplicationId: `${orderId}:${seq}`,
    MessageAttributes: {
      eventType: { DataType: 'String', StringValue: eventType },
      total: { DataType: 'Number', StringValue: String(CREATE_ORDER_TOTAL) },
      currency: { DataType: 'String', StringValue: 'EUR' },
      region: { DataType: 'String', StringValue: 'eu-west' },
      ...(correlationId === undefined
        ? {}
        : { correlationId: { DataType: 'String', StringValue: correlationId } }),
    },
  };
}

/**
 * Asserts a `503` problem that asks for a retry in a second (`Retry-After: 1`), naming the dependency that failed
 * when given, with any further body fields in `body`.
 */
export function expectServiceUnavailable(
  response: ParsedResponse,
  dependency?: string,
  body: Record<string, unknown> = {},
): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toBe('1');
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.body).toMatchObject({
    type: '/problems/service-unavailable',
    title: 'Temporarily unavailable',
    status: 503,
    ...(dependency === undefined ? {} : { detail: expect.stringContaining(dependency) }),
    ...body,
  });
}

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

export interface OrderHandlers {
  createOrder: HttpHandler;
  getOrder: HttpHandler;
  payOrder: HttpHandler;
  cancelOrder: HttpHandler;
}

/**
 * Sets the environment serverless.yml gives the HTTP functions, then imports them: they read it at module scope.
 * The endpoint variables are blanked so that errors name the service, not a local endpoint of the developer.
 */
export async function importOrderHandlers(): Promise<OrderHandlers> {
  vi.stubEnv('ORDERS_TABLE', ORDERS_TABLE);
  vi.stubEnv('IDEMPOTENCY_TABLE', IDEMPOTENCY_TABLE);
  vi.stubEnv('ORDER_EVENTS_TOPIC_ARN', ORDER_EVENTS_TOPIC_ARN);
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', '');
  vi.stubEnv('AWS_ENDPOINT_URL_SNS', '');
  const [create, get, pay, cancel] = await Promise.all([
    import('../../functions/create-order.js'),
    import('../../functions/get-order.js'),
    import('../../functions/pay-order.js'),
    import('../../functions/cancel-order.js'),
  ]);
  return {
    createOrder: create.handler,
    getOrder: get.handler,
    payOrder: pay.handler,
    cancelOrder: cancel.handler,
  };
}

/** The event of `POST /orders/{orderId}/pay` or `POST /orders/{orderId}/cancel`, with a JSON body if given. */
export function orderCommandEvent(
  command: 'pay' | 'cancel',
  orderId: string,
  body?: unknown,
  headers: Record<string, string | undefined> = {},
  claims?: ApiEventOptions['claims'],
): APIGatewayProxyEventV2 {
  return apiEvent({
    method: 'POST',
    path: `/orders/${orderId}/${command}`,
    route: `/orders/{orderId}/${command}`,
    pathParameters: { orderId },
    body,
    headers,
    claims,
  });
}

/** The event of `GET /orders/{orderId}`. */
export function getOrderEvent(orderId: string, claims?: ApiEventOptions['claims']): APIGatewayProxyEventV2 {
  return apiEvent({
    method: 'GET',
    path: `/orders/${orderId}`,
    route: '/orders/{orderId}',
    pathParameters: { orderId },
    claims,
  });
}

/** A handler's answer with its JSON body parsed and header names lower-cased. */
export interface ParsedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  rawBody: string;
}

/** Invokes `handler` like the Lambda runtime does (fresh context per invocation) and parses the answer. */
export async function invoke(
  handler: HttpHandler,
  event: APIGatewayProxyEventV2,
  context: Context = lambdaContext(),
): Promise<ParsedResponse> {
  const response = await handler(event, context);
  const parsed: unknown = JSON.parse(response.body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Expected a JSON object body, got ${response.body}`);
  }
  return {
    statusCode: response.statusCode,
    headers: Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    body: parsed as Record<string, unknown>,
    rawBody: response.body,
  };
}

/**
 * The three SDK clients the HTTP handlers use, mocked at the client, and what stands behind them: the orders table
 * (lib-dynamodb commands), the Powertools idempotency table (low-level DynamoDB commands) and the topic.
 * Every command is recorded by its mock; the fakes answer from state that the commands themselves built.
 */
export class OrderWorld {
  readonly documentClient: AwsClientStub<DynamoDBDocumentClient> = mockClient(DynamoDBDocumentClient);
  readonly dynamodb: AwsClientStub<DynamoDBClient> = mockClient(DynamoDBClient);
  readonly sns: AwsClientStub<SNSClient> = mockClient(SNSClient);
  readonly orders = new FakeTable(ORDERS_TABLE, 'orderId');
  readonly idempotency = new FakeTable(IDEMPOTENCY_TABLE, 'id');
  #messageCounter = 0;

  /** Forgets every call and all stored state; every client answers from the fakes. */
  reset(): void {
    this.documentClient.reset();
    this.dynamodb.reset();
    this.sns.reset();
    this.orders.clear();
    this.idempotency.clear();
    this.serve();
  }

  /** Points every client at the fakes again (after a test made one of them fail), keeping state and history. */
  serve(): void {
    this.serveOrders();
    this.serveIdempotency();
    this.servePublish();
  }

  /** Gives the clients back their real `send` and the process its environment (see `importOrderHandlers`). */
  restore(): void {
    vi.unstubAllEnvs();
    this.documentClient.restore();
    this.dynamodb.restore();
    this.sns.restore();
  }

  serveOrders(): void {
    const table = this.orders;
    this.documentClient.on(GetCommand).callsFake((input: GetCommandInput) => {
      const Item = table.get(input.TableName, input.Key);
      return Item === undefined ? {} : { Item };
    });
    this.documentClient.on(PutCommand).callsFake((input: PutCommandInput) => {
      table.put(
        input.TableName,
        input.Item,
        conditionOf(input),
        input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
      );
      return {};
    });
    this.documentClient.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      table.update(input.TableName, input.Key, updateOf(input), conditionOf(input));
      return {};
    });
    this.documentClient.on(DeleteCommand).callsFake((input: DeleteCommandInput) => {
      table.delete(input.TableName, input.Key, conditionOf(input));
      return {};
    });
  }

  serveIdempotency(): void {
    const table = this.idempotency;
    this.dynamodb.on(GetItemCommand).callsFake((input: GetItemCommandInput) => {
      const item = table.get(input.TableName, fromAttributeMap(input.Key));
      return item === undefined ? {} : { Item: toAttributeMap(item) };
    });
    this.dynamodb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      table.put(
        input.TableName,
        fromAttributeMap(input.Item),
        conditionOf(input, fromAttributeMap(input.ExpressionAttributeValues)),
        input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD',
      );
      return {};
    });
    this.dynamodb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const values = fromAttributeMap(input.ExpressionAttributeValues);
      table.update(
        input.TableName,
        fromAttributeMap(input.Key),
        updateOf(input, values),
        conditionOf(input, values),
      );
      return {};
    });
    this.dynamodb.on(DeleteItemCommand).callsFake((input: DeleteItemCommandInput) => {
      table.delete(input.TableName, fromAttributeMap(input.Key), conditionOf(input));
      return {};
    });
  }

  servePublish(): void {
    this.sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      if (input.TopicArn !== ORDER_EVENTS_TOPIC_ARN)
        throw new Error(`No such topic ${String(input.TopicArn)}`);
      this.#messageCounter += 1;
      return {
        MessageId: `00000000-0000-4000-8000-${String(this.#messageCounter).padStart(12, '0')}`,
        SequenceNumber: String(10_000_000_000_000_000_000n + BigInt(this.#messageCounter)),
      };
    });
  }

  /** Stores the test order `orderId` (see `storedOrder`) in `status`, `pendingEvent` in its outbox; returns it. */
  seedOrder(orderId: string, status: OrderStatus, pendingEvent?: OrderEvent): Order {
    const order = storedOrder({ orderId, status });
    this.orders.seed(orderItem(order, pendingEvent));
    return order;
  }

  /** The `Key` of the n-th idempotency record taken (by its `PutItemCommand`), as the low-level client sends it. */
  idempotencyRecordKey(index = 0): Record<string, AttributeValue> {
    const id = this.dynamodb.commandCalls(PutItemCommand)[index]?.args[0].input.Item?.id;
    if (id === undefined) throw new Error(`No idempotency record #${index} was taken`);
    return { id };
  }

  /** Every command any of the three clients received, in the order they were sent: `Client.Command`. */
  timeline(): string[] {
    return inCallOrder([
      ...this.documentClient.calls().map((call) => ({ label: `orders.${commandName(call.args[0])}`, call })),
      ...this.dynamodb.calls().map((call) => ({ label: `idempotency.${commandName(call.args[0])}`, call })),
      ...this.sns.calls().map((call) => ({ label: `sns.${commandName(call.args[0])}`, call })),
    ]);
  }

  /** The SNS messages published, parsed. */
  publishedEvents(): Array<Record<string, unknown>> {
    return this.sns.commandCalls(PublishCommand).map((call) => {
      const parsed: unknown = JSON.parse(call.args[0].input.Message ?? 'null');
      if (typeof parsed !== 'object' || parsed === null)
        throw new Error('A published message is not an object');
      return parsed as Record<string, unknown>;
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Throttling, as each service names it

/** DynamoDB throttling: `ThrottlingException` (on-demand) or `ProvisionedThroughputExceededException`. */
export function dynamoDbThrottling(
  name: 'ThrottlingException' | 'ProvisionedThroughputExceededException',
): Error {
  const options = { message: 'Rate of requests exceeds the allowed throughput.', $metadata: {} };
  return name === 'ThrottlingException'
    ? new ThrottlingException(options)
    : new ProvisionedThroughputExceededException(options);
}

/** SNS throttling: `ThrottledException`. */
export function snsThrottling(): Error {
  return new ThrottledException({ message: 'Rate exceeded', $metadata: {} });
}

/**
 * The hooks every order handler test file needs: the handlers imported once (after their environment is set), the
 * world reset before each test, real timers after each, the client mocks restored at the end. The returned object
 * holds the handlers once the file's tests run.
 */
export function useOrderWorld(world: OrderWorld): OrderHandlers {
  const handlers = {} as OrderHandlers;
  beforeAll(async () => {
    Object.assign(handlers, await importOrderHandlers());
  });
  beforeEach(() => world.reset());
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(() => world.restore());
  return handlers;
}
