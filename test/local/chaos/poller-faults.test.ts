import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClients, LOCAL_CREDENTIALS, type LocalClients } from '../../../local/aws-clients.js';
import { createFaultyPollerSqsClient } from '../../../local/chaos/poller-faults.js';
import { type RunningService, startSqsSns } from '../../../local/emulators.js';
import { createFaultDice } from '../../../shared/faults/fault-dice.js';
import type { InjectedFault } from '../../../shared/faults/fault-reports.js';

const REGION = 'eu-west-1';
const UNUSED_ENDPOINT = 'http://127.0.0.1:9';

let emulator: RunningService;
let clients: LocalClients;
let queueCount = 0;

beforeAll(async () => {
  emulator = await startSqsSns(0, REGION);
  clients = createLocalClients(
    {
      sqsSns: emulator.endpoint,
      kinesis: UNUSED_ENDPOINT,
      dynamodb: UNUSED_ENDPOINT,
      iotData: UNUSED_ENDPOINT,
    },
    REGION,
  );
});

afterAll(async () => {
  clients?.destroy();
  await emulator?.close();
});

function faultyClient(rates: { sqsDuplicateRate: number; visibilityExpiryRate: number }) {
  const reports: InjectedFault[] = [];
  const client = createFaultyPollerSqsClient(
    {
      region: REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: emulator.endpoint,
      useQueueUrlAsEndpoint: false,
    },
    {
      plan: () => rates,
      dice: createFaultDice(1, 'test'),
      report: (fault) => reports.push(fault),
      expireAfterMs: 0,
      log: () => {},
    },
  );
  return { client, reports };
}

/** A FIFO queue holding one message of group `order-1`. */
async function fifoQueueWithOneMessage(): Promise<string> {
  queueCount += 1;
  const { QueueUrl } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `poller-faults-${queueCount}.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' },
    }),
  );
  const url = QueueUrl as string;
  await clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: 'event',
      MessageGroupId: 'order-1',
      MessageDeduplicationId: 'event-1',
    }),
  );
  return url;
}

const receive = (client: SQSClient, url: string, waitSeconds = 0) =>
  client.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
  );

describe('the pollers’ SQS faults', () => {
  it('loses a delete: SQS says it deleted the message, and delivers it again', async () => {
    // Prepare
    const url = await fifoQueueWithOneMessage();
    const { client, reports } = faultyClient({ sqsDuplicateRate: 1, visibilityExpiryRate: 0 });
    const { Messages: [message] = [] } = await receive(client, url);

    // Act
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: '0', ReceiptHandle: message?.ReceiptHandle }],
      }),
    );
    // The visibility timeout ends now rather than in 30 s: a deleted message could not come back.
    await clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const { Messages: again = [] } = await receive(clients.sqs, url);

    // Assess
    expect(deleted.Successful).toEqual([{ Id: '0' }]);
    expect(deleted.Failed ?? []).toEqual([]);
    expect(again.map(({ MessageId }) => MessageId)).toEqual([message?.MessageId]);
    expect(reports).toEqual([
      { kind: 'sqs-duplicate', site: 'sqs event source mapping', target: message?.MessageId },
    ]);
  });

  it("lets a batch's visibility run out while it is in flight: another receive gets the same group's message", async () => {
    // Prepare
    const url = await fifoQueueWithOneMessage();
    const { client, reports } = faultyClient({ sqsDuplicateRate: 0, visibilityExpiryRate: 1 });

    // Act
    const { Messages: first = [] } = await receive(client, url);
    const { Messages: second = [] } = await receive(clients.sqs, url, 5);

    // Assess
    expect(first).toHaveLength(1);
    expect(second.map(({ MessageId }) => MessageId)).toEqual(first.map(({ MessageId }) => MessageId));
    expect(reports.map(({ kind }) => kind)).toEqual(['visibility-expired']);
  });

  it('deletes and keeps visibility as SQS does when the rates are 0', async () => {
    // Prepare
    const url = await fifoQueueWithOneMessage();
    const { client, reports } = faultyClient({ sqsDuplicateRate: 0, visibilityExpiryRate: 0 });
    const { Messages: [message] = [] } = await receive(client, url);

    // Act
    const whileInFlight = await receive(clients.sqs, url);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: '0', ReceiptHandle: message?.ReceiptHandle }],
      }),
    );
    await clients.sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .catch(() => undefined);
    const afterDelete = await receive(clients.sqs, url);

    // Assess
    expect(whileInFlight.Messages ?? []).toEqual([]);
    expect(afterDelete.Messages ?? []).toEqual([]);
    expect(reports).toEqual([]);
  });
});
