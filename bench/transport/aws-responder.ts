import { createHash, randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { FakeHttpResponse, Responder, SentHttpRequest } from './fake-client-request.js';

/**
 * The AWS services orderflow calls, answered in-process with what each would answer on success, so that a
 * benchmark measures the code and the SDK, not a network or an emulator. Answers depend on the request only
 * (nothing is stored): every invocation of a stage meets the same world, however many times it runs.
 *
 * Endpoints are told apart by host: the benchmark points `AWS_ENDPOINT_URL_<SERVICE>` at
 * `https://<service>.bench.invalid` (`.invalid` never resolves, so nothing can reach AWS if the fake were bypassed).
 */
export const BENCH_ENDPOINTS = {
  AWS_ENDPOINT_URL_DYNAMODB: 'https://dynamodb.bench.invalid',
  AWS_ENDPOINT_URL_SNS: 'https://sns.bench.invalid',
  AWS_ENDPOINT_URL_SQS: 'https://sqs.bench.invalid',
  AWS_ENDPOINT_URL_KINESIS: 'https://kinesis.bench.invalid',
  AWS_ENDPOINT_URL_IOT_DATA_PLANE: 'https://iot-data.bench.invalid',
} as const;

export type BenchService = 'dynamodb' | 'sns' | 'sqs' | 'kinesis' | 'iot-data';

/** `dynamodb:GetItem`, `sns:Publish`, `iot-data:Publish`, ... */
export type OperationName = `${BenchService}:${string}`;

/** What a GetItem finds, by table name: the item (plain values) is returned with the requested key laid over it. */
export type TableItems = Record<string, Record<string, unknown>>;

export interface AwsResponder {
  respond: Responder;
  /** Every call answered so far, by operation. */
  calls: Map<OperationName, number>;
  /** Calls of an operation this fake does not answer (the stage would fail: the benchmark reports it). */
  unanswered: OperationName[];
}

export function createAwsResponder(items: TableItems = {}): AwsResponder {
  const calls = new Map<OperationName, number>();
  const unanswered: OperationName[] = [];
  const respond: Responder = (request) => {
    const service = serviceOf(request.host);
    const answer = answerFor(service, request, items);
    const operation: OperationName = `${service}:${answer.operation}`;
    calls.set(operation, (calls.get(operation) ?? 0) + 1);
    if (answer.response === undefined) {
      unanswered.push(operation);
      return json(400, {
        __type: 'UnknownOperationException',
        message: `the benchmark does not answer ${operation}`,
      });
    }
    return answer.response;
  };
  return { respond, calls, unanswered };
}

function serviceOf(host: string): BenchService {
  const name = host.endsWith('.bench.invalid') ? host.slice(0, -'.bench.invalid'.length) : undefined;
  if (name === 'dynamodb' || name === 'sns' || name === 'sqs' || name === 'kinesis' || name === 'iot-data')
    return name;
  throw new Error(
    `the benchmark's fake transport got a request for ${host}: only *.bench.invalid endpoints are answered`,
  );
}

interface Answer {
  operation: string;
  response?: FakeHttpResponse;
}

function answerFor(service: BenchService, request: SentHttpRequest, items: TableItems): Answer {
  switch (service) {
    case 'dynamodb':
      return answerDynamoDb(request, items);
    case 'sns':
      return answerSns(request);
    case 'sqs':
      return answerSqs(request);
    case 'kinesis':
      return answerKinesis(request);
    case 'iot-data':
      return { operation: 'Publish', response: json(200, {}, 'application/json') };
  }
}

function targetOf(request: SentHttpRequest): string {
  return (request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
}

function answerDynamoDb(request: SentHttpRequest, items: TableItems): Answer {
  const operation = targetOf(request);
  const input = JSON.parse(request.body || '{}') as { TableName?: string; Key?: Record<string, unknown> };
  switch (operation) {
    case 'GetItem': {
      const found = input.TableName === undefined ? undefined : items[input.TableName];
      return {
        operation,
        response: dynamoJson(found === undefined ? {} : { Item: { ...marshall(found), ...input.Key } }),
      };
    }
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'TransactWriteItems':
      return { operation, response: dynamoJson({}) };
    case 'BatchWriteItem':
      return { operation, response: dynamoJson({ UnprocessedItems: {} }) };
    case 'Query':
      return { operation, response: dynamoJson({ Items: [], Count: 0, ScannedCount: 0 }) };
    default:
      return { operation };
  }
}

function answerSns(request: SentHttpRequest): Answer {
  const form = new URLSearchParams(request.body);
  const operation = form.get('Action') ?? '';
  switch (operation) {
    case 'Publish':
      return {
        operation,
        response: xml(
          `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId>` +
            `<SequenceNumber>${sequenceNumber()}</SequenceNumber></PublishResult>${responseMetadata()}</PublishResponse>`,
        ),
      };
    case 'PublishBatch': {
      const ids = [...form.entries()]
        .filter(([name]) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(name))
        .map(([, id]) => id);
      const members = ids
        .map(
          (id) =>
            `<member><Id>${id}</Id><MessageId>${randomUUID()}</MessageId><SequenceNumber>${sequenceNumber()}</SequenceNumber></member>`,
        )
        .join('');
      return {
        operation,
        response: xml(
          `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${members}</Successful>` +
            `<Failed/></PublishBatchResult>${responseMetadata()}</PublishBatchResponse>`,
        ),
      };
    }
    default:
      return { operation };
  }
}

function answerSqs(request: SentHttpRequest): Answer {
  const operation = targetOf(request);
  const input = JSON.parse(request.body || '{}') as {
    MessageBody?: string;
    QueueName?: string;
    Entries?: Array<{ Id: string; MessageBody?: string }>;
  };
  switch (operation) {
    case 'SendMessage':
      return {
        operation,
        response: sqsJson({ MessageId: randomUUID(), MD5OfMessageBody: md5(input.MessageBody ?? '') }),
      };
    case 'SendMessageBatch':
      return {
        operation,
        response: sqsJson({
          Successful: (input.Entries ?? []).map(({ Id, MessageBody }) => ({
            Id,
            MessageId: randomUUID(),
            MD5OfMessageBody: md5(MessageBody ?? ''),
          })),
          Failed: [],
        }),
      };
    case 'DeleteMessageBatch':
    case 'ChangeMessageVisibilityBatch':
      return {
        operation,
        response: sqsJson({ Successful: (input.Entries ?? []).map(({ Id }) => ({ Id })), Failed: [] }),
      };
    case 'DeleteMessage':
    case 'ChangeMessageVisibility':
      return { operation, response: sqsJson({}) };
    case 'ReceiveMessage':
      return { operation, response: sqsJson({ Messages: [] }) };
    case 'GetQueueUrl':
      return {
        operation,
        response: sqsJson({
          QueueUrl: `https://sqs.bench.invalid/000000000000/${input.QueueName ?? 'queue'}`,
        }),
      };
    default:
      return { operation };
  }
}

function answerKinesis(request: SentHttpRequest): Answer {
  const operation = targetOf(request);
  const input = JSON.parse(request.body || '{}') as { Records?: unknown[] };
  switch (operation) {
    case 'PutRecords':
      return {
        operation,
        response: json(
          200,
          {
            FailedRecordCount: 0,
            Records: (input.Records ?? []).map(() => ({
              SequenceNumber: sequenceNumber(),
              ShardId: 'shardId-000000000000',
            })),
          },
          'application/x-amz-json-1.1',
        ),
      };
    case 'PutRecord':
      return {
        operation,
        response: json(
          200,
          { SequenceNumber: sequenceNumber(), ShardId: 'shardId-000000000000' },
          'application/x-amz-json-1.1',
        ),
      };
    default:
      return { operation };
  }
}

let sequence = 10n ** 19n;
function sequenceNumber(): string {
  sequence += 1n;
  return sequence.toString();
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

function responseMetadata(): string {
  return `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`;
}

function json(
  statusCode: number,
  body: unknown,
  contentType = 'application/x-amz-json-1.0',
): FakeHttpResponse {
  const text = JSON.stringify(body);
  return {
    statusCode,
    headers: {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': randomUUID(),
    },
    body: text,
  };
}

function dynamoJson(body: unknown): FakeHttpResponse {
  return json(200, body);
}

function sqsJson(body: unknown): FakeHttpResponse {
  return json(200, body);
}

function xml(body: string): FakeHttpResponse {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/xml',
      'content-length': String(Buffer.byteLength(body)),
      'x-amzn-requestid': randomUUID(),
    },
    body,
  };
}
