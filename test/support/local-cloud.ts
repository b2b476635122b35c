import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { generateSigningKey } from '../../local/auth/signing-key.js';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../local/cloud.js';
import { ANY_FREE_PORTS } from '../../local/listen-ports.js';

/**
 * Starts the local cloud from the stack packaged once for this test run, quietly, on ephemeral ports, trusting a
 * signing key of its own unless given one (kept in memory: a test never writes the checkout's key). The legacy
 * broker runs only when asked for.
 */
export async function startTestCloud(
  options: Pick<
    LocalCloudOptions,
    | 'functionEnvironment'
    | 'maxVisibilityTimeoutSeconds'
    | 'signingKey'
    | 'functionLogFile'
    | 'legacyBroker'
    | 'asyncRetryDelaysMs'
  > = {},
): Promise<{ cloud: LocalCloud; logs: string[] }> {
  const logs: string[] = [];
  const cloud = await startLocalCloud({
    ...options,
    packageDir: inject('packageDirs').local,
    // Every port 0: the end-to-end tests never collide with a running `npm start`.
    ports: ANY_FREE_PORTS,
    // The ERP bridge's broker takes about 8 s to start: only the tests of the bridge ask for it.
    legacyBroker: options.legacyBroker ?? false,
    signingKey: options.signingKey ?? (await generateSigningKey()),
    functionOutput: process.env.ORDERFLOW_TEST_FUNCTION_OUTPUT === 'inherit' ? 'inherit' : 'silent',
    log: (line) => logs.push(line),
  });
  return { cloud, logs };
}

/** Who sends a request: a customer (the token's `sub`), with scopes if any; `null` sends no token at all. */
export type Sender = { as: string; scopes?: readonly string[] } | null;

/** The `authorization` header of a local token for the sender (none for `null`). */
export async function authorizationFor(cloud: LocalCloud, sender: Sender): Promise<Record<string, string>> {
  if (sender === null) return {};
  return { authorization: `Bearer ${await cloud.issueToken({ sub: sender.as, scopes: sender.scopes })}` };
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * POSTs a JSON body (a string is sent as it is) to the cloud's HTTP API as `sender`: the status, headers and parsed
 * body.
 */
export async function postJson(
  cloud: LocalCloud,
  path: string,
  body: unknown,
  sender: Sender,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const response = await fetch(`${cloud.endpoints.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await authorizationFor(cloud, sender)), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** GETs a path of the cloud's HTTP API as `sender`. */
export async function getJson(cloud: LocalCloud, path: string, sender: Sender): Promise<JsonAnswer> {
  const response = await fetch(`${cloud.endpoints.http}${path}`, {
    headers: await authorizationFor(cloud, sender),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** How many messages a queue of the stack holds, visible or in flight. */
export async function messagesIn(cloud: LocalCloud, logicalId: string): Promise<number> {
  const { Attributes } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: refOf(cloud, logicalId),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** The local name or ARN a template resource was provisioned as (what `Ref` gives). */
export function refOf(cloud: LocalCloud, logicalId: string): string {
  const resource = cloud.stack.resources[logicalId];
  if (resource === undefined) throw new Error(`The packaged template has no resource ${logicalId}`);
  return resource.ref;
}

/**
 * A FIFO queue the test subscribes to a topic (raw delivery, no filter): it sees every message the topic gets,
 * with its group id, deduplication id and attributes.
 */
export async function tapTopic(cloud: LocalCloud, topicArn: string, name: string) {
  const { sqs, sns } = cloud.clients;
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
    }),
  );
  if (queueUrl === undefined) throw new Error('CreateQueue returned no QueueUrl');
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );

  /**
   * Receives (and deletes: a FIFO group yields its next message only then) until `count` messages of the order
   * `orderId` (its message group; any order when omitted) arrived or `timeoutMs` passed — long polls, never a fixed
   * sleep. Messages of other orders (other tests, `OrderFulfilled` from the consumer) are received and dropped.
   */
  const receive = async (
    count: number,
    { orderId, timeoutMs = 10_000 }: { orderId?: string; timeoutMs?: number } = {},
  ) => {
    const messages: Message[] = [];
    const deadline = Date.now() + timeoutMs;
    while (messages.length < count && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 300,
        }),
      );
      messages.push(
        ...Messages.filter(
          (message) => orderId === undefined || message.Attributes?.MessageGroupId === orderId,
        ),
      );
      if (Messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    }
    return messages;
  };
  return { queueUrl, receive };
}
