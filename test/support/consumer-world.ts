import type { PutRecordsCommandInput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { GetCommandInput, PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { ActivityRecord } from '../../shared/core/activity.js';
import { conditionOf, FakeTable, updateOf } from './fake-dynamodb.js';
import { IDEMPOTENCY_TABLE, ORDER_EVENTS_TOPIC_ARN, ORDERS_TABLE } from './order-world.js';
import { commandName, inCallOrder } from './sdk-calls.js';
import type { SqsHandler } from './sqs-event.js';

/** What serverless.yml gives processOrder besides the orders table and topic: its cursors, stream and DLQ. */
export const PROGRESS_TABLE = 'orderflow-test-fulfillment-progress';
export const ACTIVITY_STREAM = 'orderflow-test-order-activity';
export const FULFILLMENT_DLQ_NAME = 'orderflow-test-fulfillment-dlq.fifo';
export const FULFILLMENT_DLQ_URL = `https://sqs.us-east-1.amazonaws.com/123456789012/${FULFILLMENT_DLQ_NAME}`;

type Operation = 'Get' | 'Put' | 'Update';

/**
 * The four SDK clients `processOrder` uses, mocked at the client, and what stands behind them: the orders and the
 * progress tables (fakes that evaluate the conditions they receive, behind the one document client), the topic,
 * the activity stream and the dead-letter queue. Failures are injected per table and operation.
 */
export class ConsumerWorld {
  readonly documentClient = mockClient(DynamoDBDocumentClient);
  readonly sns = mockClient(SNSClient);
  readonly kinesis = mockClient(KinesisClient);
  readonly sqs = mockClient(SQSClient);
  readonly orders = new FakeTable(ORDERS_TABLE, 'orderId');
  readonly progress = new FakeTable(PROGRESS_TABLE, 'orderId');
  readonly #tables = new Map([
    [ORDERS_TABLE, this.orders],
    [PROGRESS_TABLE, this.progress],
  ]);
  #faults: Array<{ table: string; operation: Operation; orderId?: string; error: Error; times: number }> = [];
  #refuse: (activity: ActivityRecord, call: number) => boolean = () => false;
  /** Cursors another delivery moves just before this invocation's conditional write: orderId → seq. */
  readonly #cursorRaces = new Map<string, number>();
  #throttledPutRecordsCalls = 0;
  #putRecordsCalls = 0;
  /** Fake time of each PutRecords call, to read the backoff between attempts. */
  readonly putRecordsTimes: number[] = [];

  reset(): void {
    this.documentClient.reset();
    this.sns.reset();
    this.kinesis.reset();
    this.sqs.reset();
    this.orders.clear();
    this.progress.clear();
    this.#faults = [];
    this.#refuse = () => false;
    this.#cursorRaces.clear();
    this.#throttledPutRecordsCalls = 0;
    this.#putRecordsCalls = 0;
    this.putRecordsTimes.length = 0;
    this.#serve();
  }

  restore(): void {
    this.documentClient.restore();
    this.sns.restore();
    this.kinesis.restore();
    this.sqs.restore();
  }

  /** Makes `operation` on `table` (for one order, or any) throw `error`, `times` times (default: always). */
  fail(
    table: FakeTable,
    operation: Operation,
    error: Error,
    { orderId, times = Number.POSITIVE_INFINITY }: { orderId?: string; times?: number } = {},
  ): void {
    this.#faults.push({ table: table.tableName, operation, error, times, ...(orderId ? { orderId } : {}) });
  }

  /** Kinesis answers each entry for which `refuse` holds with an `ErrorCode` (the entry is not written). */
  refuseActivity(refuse: (activity: ActivityRecord, call: number) => boolean): void {
    this.#refuse = refuse;
  }

  /**
   * Another delivery moves the cursor of `orderId` to `seq` after this invocation read it and just before its
   * conditional write, which then fails its condition as in DynamoDB.
   */
  raceCursor(orderId: string, seq: number): void {
    this.#cursorRaces.set(orderId, seq);
  }

  /** The first `calls` PutRecords calls fail as a whole with `ProvisionedThroughputExceededException`. */
  throttlePutRecords(calls: number): void {
    this.#throttledPutRecordsCalls = calls;
  }

  #serve(): void {
    this.documentClient.on(GetCommand).callsFake((input: GetCommandInput) => {
      const Item = this.#table('Get', input.TableName, input.Key).get(input.TableName, input.Key);
      return Item === undefined ? {} : { Item };
    });
    this.documentClient.on(PutCommand).callsFake((input: PutCommandInput) => {
      this.#table('Put', input.TableName, input.Item).put(
        input.TableName,
        input.Item,
        conditionOf(input),
        false,
      );
      return {};
    });
    this.documentClient.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
      const racedOrderId = input.TableName === PROGRESS_TABLE ? input.Key?.orderId : undefined;
      const racedSeq = typeof racedOrderId === 'string' ? this.#cursorRaces.get(racedOrderId) : undefined;
      if (typeof racedOrderId === 'string' && racedSeq !== undefined) {
        this.#cursorRaces.delete(racedOrderId);
        this.progress.seed({ orderId: racedOrderId, seq: racedSeq });
      }
      this.#table('Update', input.TableName, input.Key).update(
        input.TableName,
        input.Key,
        updateOf(input),
        conditionOf(input),
      );
      return {};
    });
    this.sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
      if (input.TopicArn !== ORDER_EVENTS_TOPIC_ARN)
        throw new Error(`No such topic ${String(input.TopicArn)}`);
      return { MessageId: '8a1c2d3e-0000-4000-8000-000000000001', SequenceNumber: '10000000000000000001' };
    });
    this.kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      this.#putRecordsCalls += 1;
      this.putRecordsTimes.push(Date.now());
      if (input.StreamName !== ACTIVITY_STREAM) throw new Error(`No such stream ${String(input.StreamName)}`);
      if (this.#putRecordsCalls <= this.#throttledPutRecordsCalls) {
        throw new ProvisionedThroughputExceededException({
          message: 'Rate exceeded for stream orderflow-test-order-activity under account 123456789012.',
          $metadata: { httpStatusCode: 400 },
        });
      }
      const call = this.#putRecordsCalls;
      const results = (input.Records ?? []).map((entry, index): PutRecordsResultEntry => {
        if (this.#refuse(decode(entry.Data), call)) {
          return {
            ErrorCode: 'ProvisionedThroughputExceededException',
            ErrorMessage:
              'Rate exceeded for shard shardId-000000000000 in stream orderflow-test-order-activity.',
          };
        }
        return {
          ShardId: 'shardId-000000000000',
          SequenceNumber: `4959${call}${String(index).padStart(4, '0')}`,
        };
      });
      return {
        FailedRecordCount: results.filter((result) => result.ErrorCode !== undefined).length,
        Records: results,
        EncryptionType: 'KMS',
      };
    });
    this.sqs
      .on(GetQueueUrlCommand, { QueueName: FULFILLMENT_DLQ_NAME })
      .resolves({ QueueUrl: FULFILLMENT_DLQ_URL });
    this.sqs.on(SendMessageCommand).callsFake((input: SendMessageCommandInput) => {
      if (input.QueueUrl !== FULFILLMENT_DLQ_URL) throw new Error(`No such queue ${String(input.QueueUrl)}`);
      return { MessageId: '9d2e3f4a-0000-4000-8000-000000000001', SequenceNumber: '20000000000000000001' };
    });
  }

  #table(operation: Operation, tableName: string | undefined, item: Record<string, unknown> | undefined) {
    const fault = this.#faults.find(
      (candidate) =>
        candidate.table === tableName &&
        candidate.operation === operation &&
        candidate.times > 0 &&
        (candidate.orderId === undefined || candidate.orderId === item?.orderId),
    );
    if (fault !== undefined) {
      fault.times -= 1;
      throw fault.error;
    }
    const table = this.#tables.get(tableName ?? '');
    if (table === undefined) throw new Error(`No such table ${String(tableName)}`);
    return table;
  }

  /** The entries of each PutRecords call, in call order: partition key and the activity record. */
  putRecords(): Array<Array<{ PartitionKey: string | undefined; activity: ActivityRecord }>> {
    return this.kinesis.commandCalls(PutRecordsCommand).map((call) =>
      (call.args[0].input.Records ?? []).map((entry) => ({
        PartitionKey: entry.PartitionKey,
        activity: decode(entry.Data),
      })),
    );
  }

  /** The events published to the topic, parsed. */
  publishedEvents(): unknown[] {
    return this.sns
      .commandCalls(PublishCommand)
      .map((call) => JSON.parse(call.args[0].input.Message ?? 'null'));
  }

  /** The inputs of the UpdateCommands the progress table received. */
  progressUpdates(): UpdateCommandInput[] {
    return this.documentClient
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.TableName === PROGRESS_TABLE);
  }

  /** The writes (Put, Update, Delete) the orders table received. */
  orderWrites(): string[] {
    return this.documentClient
      .calls()
      .map((call) => call.args[0])
      .filter(
        (command) =>
          (command instanceof PutCommand ||
            command instanceof UpdateCommand ||
            command instanceof DeleteCommand) &&
          command.input.TableName === ORDERS_TABLE,
      )
      .map((command) => command.constructor.name);
  }

  /** Every command any client received, in the order they were sent: `orders.Get`, `kinesis.PutRecords`, … */
  timeline(): string[] {
    return inCallOrder([
      ...this.documentClient.calls().map((call) => {
        const command = call.args[0];
        const table = 'TableName' in command.input && command.input.TableName === PROGRESS_TABLE;
        return { label: `${table ? 'progress' : 'orders'}.${commandName(command)}`, call };
      }),
      ...this.sns.calls().map((call) => ({ label: `sns.${commandName(call.args[0])}`, call })),
      ...this.kinesis.calls().map((call) => ({ label: `kinesis.${commandName(call.args[0])}`, call })),
      ...this.sqs.calls().map((call) => ({ label: `sqs.${commandName(call.args[0])}`, call })),
    ]);
  }
}

function decode(data: Uint8Array | undefined): ActivityRecord {
  if (data === undefined) throw new Error('A PutRecords entry has no Data');
  return JSON.parse(Buffer.from(data).toString('utf8')) as ActivityRecord;
}

/** Sets the environment serverless.yml gives processOrder, then imports it: it reads it at module scope. */
export async function importProcessOrder(): Promise<SqsHandler> {
  vi.stubEnv('ORDERS_TABLE', ORDERS_TABLE);
  vi.stubEnv('IDEMPOTENCY_TABLE', IDEMPOTENCY_TABLE);
  vi.stubEnv('ORDER_EVENTS_TOPIC_ARN', ORDER_EVENTS_TOPIC_ARN);
  vi.stubEnv('FULFILLMENT_PROGRESS_TABLE', PROGRESS_TABLE);
  vi.stubEnv('ACTIVITY_STREAM_NAME', ACTIVITY_STREAM);
  vi.stubEnv('DEAD_LETTER_QUEUE_NAME', FULFILLMENT_DLQ_NAME);
  for (const service of ['', '_DYNAMODB', '_SNS', '_SQS', '_KINESIS'])
    vi.stubEnv(`AWS_ENDPOINT_URL${service}`, '');
  const { handler } = await import('../../functions/process-order.js');
  return handler;
}
