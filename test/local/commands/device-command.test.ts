import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalClients, type LocalClients } from '../../../local/aws-clients.js';
import { EXIT } from '../../../local/commands/command.js';
import {
  type DeviceDependencies,
  deviceCommand,
  scanFailuresOf,
} from '../../../local/commands/device-command.js';
import type { LocalTarget } from '../../../local/commands/local-target.js';
import {
  type MqttBroker,
  type RunningService,
  startMqttBroker,
  startSqsSns,
} from '../../../local/emulators.js';
import { startRulesEngine } from '../../../local/iot/rules-engine.js';
import { createAsyncInvoker } from '../../../local/runtime/async-invoke.js';
import { capturedIo, mockedLocalTarget } from '../../support/command-harness.js';
import { waitFor } from '../../support/wait-for.js';

/**
 * `npm run device` against a real aedes broker (the local cloud's, on any free port) and a real fauxqs for
 * scan-failures; the Lambda Invoke API is mocked (aws-sdk-client-mock).
 */
const REGION = 'eu-west-1';
const RECORD_SCAN = 'orderflow-local-recordScan';
const RECORD_SCAN_ARN = `arn:aws:lambda:${REGION}:000000000000:function:${RECORD_SCAN}`;
const SCANS_RULE_SQL =
  "SELECT *, topic(2) AS siteId, clientid() AS deviceId, timestamp() AS receivedAt FROM 'warehouse/+/scans' WHERE kind = 'shipped' OR kind = 'delivered'";
const NOW = new Date('2026-12-03T10:00:00.000Z');

const lambda = mockClient(LambdaClient);

let broker: MqttBroker;
let sqsSns: RunningService;
let clients: LocalClients;
let sqs: SQSClient;

interface Published {
  topic: string;
  payload: string;
  qos: number;
  clientId: string | undefined;
}

/** Every publish to a `warehouse/...` topic the broker took, with the client that published it. */
const published: Published[] = [];

beforeAll(async () => {
  broker = await startMqttBroker(0, 0);
  broker.broker.on('publish', (packet, client) => {
    if (!packet.topic.startsWith('warehouse/')) return;
    published.push({
      topic: packet.topic,
      payload: Buffer.from(packet.payload).toString('utf8'),
      qos: packet.qos,
      clientId: client?.id,
    });
  });
  sqsSns = await startSqsSns(0, REGION);
  const unused = 'http://127.0.0.1:1';
  clients = createLocalClients(
    { sqsSns: sqsSns.endpoint, dynamodb: unused, kinesis: unused, iotData: unused },
    REGION,
  );
  sqs = clients.sqs;
});

afterAll(async () => {
  clients?.destroy();
  await sqsSns?.close();
  await broker?.close();
});

beforeEach(() => {
  published.length = 0;
  lambda.reset();
});

/** A subscriber of the test (a warehouse's other devices, or orderflow answering a scan). */
async function subscriber(filter: string) {
  const client: MqttClient = await connectAsync(broker.url, {
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
  });
  const received: Array<{ topic: string; payload: string; qos: number }> = [];
  client.on('message', (topic, payload, packet) =>
    received.push({ topic, payload: payload.toString('utf8'), qos: packet.qos }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received, end: () => client.endAsync() };
}

let queues = 0;

/** A fresh scan-failures queue, holding `bodies`, and the local cloud a command reaches it through. */
async function scanFailuresQueue(...bodies: unknown[]) {
  queues += 1;
  const queueName = `orderflow-t${queues}-scan-failures`;
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  for (const body of bodies) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  }
  const mocked = mockedLocalTarget({
    functions: [],
    queueNames: [`orderflow-t${queues}-fulfillment.fifo`, queueName],
  });
  const target: LocalTarget = { ...mocked, clients: { ...mocked.clients, sqs } };
  return { queueName, queueUrl: QueueUrl, target };
}

/** What the queue holds: visible and in flight. */
async function depthOf(queueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

/** The bodies of the visible messages, left visible. */
async function bodiesIn(queueUrl: string): Promise<string[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return Messages.map((message) => message.Body ?? '');
}

async function npmRunDevice(argv: string[], overrides: Partial<DeviceDependencies> = {}) {
  const io = capturedIo();
  let connected = false;
  const code = await deviceCommand(
    argv,
    {
      mqttUrl: () => {
        connected = true;
        return broker.url;
      },
      scanFailures: async () => {
        throw new Error('this test has no scan-failures queue');
      },
      now: () => NOW,
      receiveWaitSeconds: 0,
      ...overrides,
    },
    io,
  );
  return { code, out: io.stdout, err: io.stderr, connected };
}

const invokedEvents = () =>
  lambda.commandCalls(InvokeCommand).map(({ args }) => ({
    ...args[0].input,
    Payload: JSON.parse(new TextDecoder().decode(args[0].input.Payload as Uint8Array)),
  }));

/** The scan as the topic rule handed it to recordScan (with `siteId`, `deviceId`, `receivedAt`). */
const ruleOutput = {
  scanId: 's-1',
  orderId: 'o-1',
  kind: 'delivered',
  at: '2026-12-03T09:00:00.000Z',
  siteId: 'w1',
  deviceId: 'scanner-w1',
  receivedAt: 1_796_288_400_000,
};

/** Lambda's on-failure destination record for a scan recordScan gave up on (as local/runtime/async-invoke.ts). */
const destinationRecord = {
  version: '1.0',
  timestamp: '2026-12-03T09:03:00.000Z',
  requestContext: {
    requestId: 'req-1',
    functionArn: `${RECORD_SCAN_ARN}:$LATEST`,
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  requestPayload: ruleOutput,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: {
    errorType: 'ScanTooEarlyError',
    errorMessage: "Scan too early for order 'o-1': SHIPPED first",
  },
};

/** What the scanner published, and the rule's error action message for it (as local/iot/rules-engine.ts). */
const originalScan = JSON.stringify({
  scanId: 's-2',
  orderId: 'o-2',
  kind: 'shipped',
  carrier: 'DHL',
  at: '2026-12-03T09:00:00.000Z',
});
const ruleErrorMessage = {
  ruleName: 'orderflow_local_warehouse_scans',
  topic: 'warehouse/w2/scans',
  cloudwatchTraceId: 'trace-1',
  clientId: 'scanner-w2',
  base64OriginalPayload: Buffer.from(originalScan).toString('base64'),
  failures: [
    { failedAction: 'LambdaAction', failedResource: RECORD_SCAN_ARN, errorMessage: 'Rate exceeded' },
  ],
};

describe('npm run device, its command line', () => {
  it.each([
    [[], 'say what to do: ship, deliver or retry'],
    [['scan', 'o-1'], 'unknown command scan'],
    [['ship'], 'ship takes the id of the order whose parcel is scanned'],
    [['deliver', '--site', 'w1'], 'deliver takes the id of the order whose parcel is scanned'],
    [['ship', 'o-1', 'o-2'], 'unexpected o-2'],
    [['ship', 'o-1', '--site', 'w1/a'], '--site must be 1-64 characters of A-Z, a-z, 0-9, _ and -'],
    [['ship', 'o-1', '--site', '+'], '--site must be 1-64 characters'],
    [['deliver', 'o-1', '--site', ''], '--site must be 1-64 characters'],
    [['deliver', 'o-1', '--carrier', 'DHL'], '--carrier is for ship only'],
    [['ship', 'o-1', '--dry-run'], '--dry-run is for retry only'],
    [['ship', 'o-1', '--wait-ms', '0'], '--wait-ms must be a whole number ≥ 1'],
    [['retry', 'now'], 'unexpected now'],
    [['retry', '--site', 'w1'], '--site is for ship and deliver only'],
    [['ship', 'o-1', '--nope'], "Unknown option '--nope'"],
  ])('refuses %j with a usage error and exit 2, publishing nothing', async (argv, message) => {
    // Act
    const { code, err, connected } = await npmRunDevice(argv);

    // Assess
    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain('usage: npm run device -- ship <orderId>');
    expect(connected).toBe(false);
    expect(published).toEqual([]);
  });

  it('says to start the local cloud when no broker answers, with exit 1', async () => {
    // Act
    const { code, err } = await npmRunDevice(['ship', 'o-1'], { mqttUrl: () => 'mqtt://127.0.0.1:1' });

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err.join('\n')).toContain('Is the local cloud running (npm start)?');
  });
});

describe('npm run device -- ship / deliver', () => {
  it('publishes the scan as its JSON to warehouse/<site>/scans, at QoS 1, as client scanner-<site>', async () => {
    // Prepare
    const site = await subscriber('warehouse/+/scans');

    // Act
    const { code, out, err } = await npmRunDevice([
      'ship',
      'o-1',
      '--site',
      'w1',
      '--carrier',
      'DHL',
      '--tracking',
      'TRK-1',
      '--scan-id',
      's-1',
      '--wait-ms',
      '50',
    ]);

    // Assess
    const payload =
      '{"scanId":"s-1","orderId":"o-1","kind":"shipped","carrier":"DHL","trackingNo":"TRK-1","at":"2026-12-03T10:00:00.000Z"}';
    expect(code).toBe(EXIT.ok);
    expect(err).toEqual([]);
    expect(out).toEqual([
      'sent shipped scan s-1 of order o-1 to warehouse/w1/scans as scanner-w1 (carrier DHL, tracking TRK-1)',
      'no refusal within 0.05 s: watch orders/+/o-1/status for SHIPPED',
    ]);
    expect(published).toEqual([{ topic: 'warehouse/w1/scans', payload, qos: 1, clientId: 'scanner-w1' }]);
    await waitFor(() => site.received.length > 0, { description: 'the scan at the subscriber' });
    expect(site.received).toEqual([{ topic: 'warehouse/w1/scans', payload, qos: 1 }]);
    await site.end();
  });

  it('delivers from site w1 by default, with a new UUID as scanId, and nothing a delivery has not', async () => {
    // Act
    const { code, out } = await npmRunDevice(['deliver', 'o-7', '--wait-ms', '50']);

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(published).toHaveLength(1);
    const [scan] = published;
    expect(scan).toMatchObject({ topic: 'warehouse/w1/scans', qos: 1, clientId: 'scanner-w1' });
    const sent = JSON.parse(scan?.payload ?? '');
    expect(sent).toEqual({
      scanId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      orderId: 'o-7',
      kind: 'delivered',
      at: NOW.toISOString(),
    });
    expect(Object.keys(sent)).toEqual(['scanId', 'orderId', 'kind', 'at']);
    expect(out).toEqual([
      `sent delivered scan ${sent.scanId} of order o-7 to warehouse/w1/scans as scanner-w1`,
      'no refusal within 0.05 s: watch orders/+/o-7/status for DELIVERED',
    ]);
  });

  it("prints the refusal of its scan and exits 1, ignoring another scan's", async () => {
    // Prepare: orderflow, answering each scan on w3 with a refusal of another scan, then of this one.
    const orderflow = await subscriber('warehouse/w3/scans');
    orderflow.client.on('message', (_topic, payload) => {
      const { scanId, orderId } = JSON.parse(payload.toString('utf8'));
      const rejected = 'warehouse/w3/scans/rejected';
      void orderflow.client
        .publishAsync(rejected, JSON.stringify({ scanId: 'other', orderId, reason: 'not this one' }), {
          qos: 1,
        })
        .then(() =>
          orderflow.client.publishAsync(
            rejected,
            JSON.stringify({ scanId, orderId, reason: "Order 'o-3' is CANCELLED: it cannot be delivered" }),
            { qos: 1 },
          ),
        );
    });

    // Act: a long wait, which the refusal ends.
    const startedAt = Date.now();
    const { code, out, err } = await npmRunDevice([
      'deliver',
      'o-3',
      '--site',
      'w3',
      '--scan-id',
      's-3',
      '--wait-ms',
      '15000',
    ]);

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(out).toEqual(['sent delivered scan s-3 of order o-3 to warehouse/w3/scans as scanner-w3']);
    expect(err).toEqual([
      "scan s-3 was refused (warehouse/w3/scans/rejected): Order 'o-3' is CANCELLED: it cannot be delivered",
    ]);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    await orderflow.end();
  });

  it('takes a refusal without scanId (orderflow could not read it) for its own when the order matches', async () => {
    // Prepare
    const orderflow = await subscriber('warehouse/w4/scans');
    orderflow.client.on('message', () => {
      void orderflow.client.publishAsync(
        'warehouse/w4/scans/rejected',
        JSON.stringify({ orderId: 'o-4', reason: 'not a scan: scanId must be 1-128 characters' }),
        { qos: 1 },
      );
    });

    // Act
    const { code, err } = await npmRunDevice(['ship', 'o-4', '--site', 'w4', '--scan-id', 'bad id!']);

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err).toEqual([
      'scan bad id! was refused (warehouse/w4/scans/rejected): not a scan: scanId must be 1-128 characters',
    ]);
    await orderflow.end();
  });
});

describe('npm run device -- retry', () => {
  it('sends a destination record back to its function with an Event invoke, then deletes it', async () => {
    // Prepare
    const { queueName, queueUrl, target } = await scanFailuresQueue(destinationRecord);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

    // Act
    const { code, out, err } = await npmRunDevice(['retry'], { scanFailures: () => scanFailuresOf(target) });

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(err).toEqual([]);
    expect(invokedEvents()).toEqual([
      { FunctionName: RECORD_SCAN, InvocationType: 'Event', Payload: ruleOutput },
    ]);
    expect(out).toEqual([
      `scan s-1 of order o-1: sent back to ${RECORD_SCAN}`,
      `${queueName}: 1 of 1 message(s) sent back, 0 left in it`,
    ]);
    expect(await depthOf(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(published).toEqual([]);
  });

  it("publishes a rule error message's original payload again to its topic, then deletes it", async () => {
    // Prepare
    const { queueName, queueUrl, target } = await scanFailuresQueue(ruleErrorMessage);
    const site = await subscriber('warehouse/w2/scans');

    // Act
    const { code, out, err } = await npmRunDevice(['retry'], { scanFailures: () => scanFailuresOf(target) });

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(err).toEqual([]);
    expect(out).toEqual([
      'scan s-2 of order o-2: published again to warehouse/w2/scans',
      `${queueName}: 1 of 1 message(s) sent back, 0 left in it`,
    ]);
    expect(published).toEqual([
      {
        topic: 'warehouse/w2/scans',
        payload: originalScan,
        qos: 1,
        clientId: expect.stringMatching(/^scan-retry-/),
      },
    ]);
    await waitFor(() => site.received.length > 0, { description: 'the scan at the subscriber' });
    expect(site.received).toEqual([{ topic: 'warehouse/w2/scans', payload: originalScan, qos: 1 }]);
    expect(await depthOf(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(lambda.calls()).toHaveLength(0);
    await site.end();
  });

  it('leaves what it could not send back in the queue, visible again, and exits 1', async () => {
    // Prepare
    const { queueName, queueUrl, target } = await scanFailuresQueue(
      destinationRecord,
      ruleErrorMessage,
      'not JSON',
    );
    lambda.on(InvokeCommand).rejects(new Error('Function not found: orderflow-local-recordScan'));

    // Act
    const { code, out, err } = await npmRunDevice(['retry'], { scanFailures: () => scanFailuresOf(target) });

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(out).toEqual([
      'scan s-2 of order o-2: published again to warehouse/w2/scans',
      `${queueName}: 1 of 3 message(s) sent back, 2 left in it`,
    ]);
    expect(err.toSorted()).toEqual([
      expect.stringMatching(
        /^message [\w-]+: neither a Lambda destination record nor a topic rule error message, left in the queue$/,
      ),
      `scan s-1 of order o-1: could not be sent back to ${RECORD_SCAN} (Function not found: orderflow-local-recordScan), left in the queue`,
    ]);
    expect(await depthOf(queueUrl)).toEqual({ visible: 2, inFlight: 0 });
    expect((await bodiesIn(queueUrl)).toSorted()).toEqual(
      ['not JSON', JSON.stringify(destinationRecord)].toSorted(),
    );
  });

  it('on --dry-run, says what it would send back and sends, publishes or deletes nothing', async () => {
    // Prepare
    const { queueName, queueUrl, target } = await scanFailuresQueue(destinationRecord, ruleErrorMessage);

    // Act
    const { code, out, err } = await npmRunDevice(['retry', '--dry-run'], {
      scanFailures: () => scanFailuresOf(target),
    });

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(err).toEqual([]);
    expect(out.toSorted()).toEqual([
      `${queueName}: 2 message(s), none sent back or deleted (--dry-run)`,
      'scan s-1 of order o-1: would be sent back to orderflow-local-recordScan',
      'scan s-2 of order o-2: would be published again to warehouse/w2/scans',
    ]);
    expect(lambda.calls()).toHaveLength(0);
    expect(published).toEqual([]);
    expect(await depthOf(queueUrl)).toEqual({ visible: 2, inFlight: 0 });
  });

  it('says when scan-failures is empty', async () => {
    // Prepare
    const { queueName, target } = await scanFailuresQueue();

    // Act
    const { code, out } = await npmRunDevice(['retry'], { scanFailures: () => scanFailuresOf(target) });

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(out).toEqual([`${queueName} is empty: nothing to send back`]);
  });

  it('fails with exit 1 when the stack has no scan-failures queue', async () => {
    // Prepare
    const target = mockedLocalTarget({ functions: [], queueNames: ['orderflow-local-fulfillment.fifo'] });

    // Act
    const { code, err } = await npmRunDevice(['retry'], { scanFailures: () => scanFailuresOf(target) });

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err.join('\n')).toContain(
      'the stack has no scan-failures queue (its queues: orderflow-local-fulfillment.fifo)',
    );
  });

  it("sends back what the local cloud's own failure paths wrote: Lambda's destination record and the rule's error message", async () => {
    // Prepare: the rules engine on the broker, recordScan failing every attempt for o-5 (retried at once), and
    // IoT unable to invoke it for o-6; both end in scan-failures as the local cloud writes them.
    const { queueName, queueUrl, target } = await scanFailuresQueue();
    const asyncInvoker = createAsyncInvoker({
      invoke: async () => ({ status: 'error', errorType: 'ScanTooEarlyError', errorMessage: 'too early' }),
      configs: [
        {
          functionName: RECORD_SCAN,
          maximumRetryAttempts: 2,
          maximumEventAgeSeconds: 3600,
          onFailure: { type: 'sqs', arn: 'arn:unused', queueUrl },
        },
      ],
      functionArns: new Map([[RECORD_SCAN, RECORD_SCAN_ARN]]),
      sqs,
      retryDelaysMs: [0, 0],
      log: () => undefined,
    });
    const rulesEngine = startRulesEngine({
      broker: broker.broker,
      rules: [
        {
          logicalId: 'WarehouseScansRule',
          name: 'orderflow_local_warehouse_scans',
          arn: 'arn:aws:iot:eu-west-1:000000000000:rule/orderflow_local_warehouse_scans',
          sql: SCANS_RULE_SQL,
          enabled: true,
          actions: [{ kind: 'lambda', functionName: RECORD_SCAN, functionArn: RECORD_SCAN_ARN }],
          errorAction: { kind: 'sqs', queueUrl, useBase64: false },
        },
      ],
      invokeAsync: (functionName, event) => {
        if ((event as { orderId?: string }).orderId === 'o-6') throw new Error('Rate exceeded');
        return asyncInvoker.invokeAsync(functionName, event);
      },
      sqs,
      now: () => 1_796_288_400_000,
      log: () => undefined,
    });
    try {
      await npmRunDevice(['deliver', 'o-5', '--site', 'w5', '--scan-id', 's-5', '--wait-ms', '1']);
      await npmRunDevice(['ship', 'o-6', '--site', 'w5', '--scan-id', 's-6', '--wait-ms', '1']);
      await waitFor(async () => asyncInvoker.pending() === 0 && (await depthOf(queueUrl)).visible === 2, {
        description: 'both scans in scan-failures',
      });
      rulesEngine.stop();
      published.length = 0;
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

      // Act
      const { code, out } = await npmRunDevice(['retry'], { scanFailures: () => scanFailuresOf(target) });

      // Assess
      expect(code).toBe(EXIT.ok);
      expect(out.toSorted()).toEqual([
        `${queueName}: 2 of 2 message(s) sent back, 0 left in it`,
        `scan s-5 of order o-5: sent back to ${RECORD_SCAN}`,
        'scan s-6 of order o-6: published again to warehouse/w5/scans',
      ]);
      expect(invokedEvents()).toEqual([
        {
          FunctionName: RECORD_SCAN,
          InvocationType: 'Event',
          Payload: {
            scanId: 's-5',
            orderId: 'o-5',
            kind: 'delivered',
            at: NOW.toISOString(),
            siteId: 'w5',
            deviceId: 'scanner-w5',
            receivedAt: 1_796_288_400_000,
          },
        },
      ]);
      expect(published.map(({ topic, payload }) => ({ topic, payload: JSON.parse(payload) }))).toEqual([
        {
          topic: 'warehouse/w5/scans',
          payload: { scanId: 's-6', orderId: 'o-6', kind: 'shipped', at: NOW.toISOString() },
        },
      ]);
      expect(await depthOf(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      rulesEngine.stop();
      asyncInvoker.stop();
    }
  });
});
