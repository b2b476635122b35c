import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MqttBroker, startMqttBroker } from '../../../local/emulators.js';
import { type RulesEngine, startRulesEngine } from '../../../local/iot/rules-engine.js';
import type { LocalTopicRule } from '../../../local/template/model.js';
import { readDeviceScan } from '../../../shared/core/device-scan.js';
import { waitFor } from '../../support/wait-for.js';

/** WarehouseScansRule's SQL, as serverless.yml declares it. */
const SCANS_SQL =
  "SELECT *, topic(2) AS siteId, clientid() AS deviceId, timestamp() AS receivedAt FROM 'warehouse/+/scans' " +
  "WHERE kind = 'shipped' OR kind = 'delivered'";
const FUNCTION = 'orderflow-test-recordScan';
const FUNCTION_ARN = `arn:aws:lambda:eu-west-1:000000000000:function:${FUNCTION}`;
const QUEUE_BASE = 'http://127.0.0.1:4566/000000000000';
const FAILURES_QUEUE_URL = `${QUEUE_BASE}/orderflow-test-scan-failures`;
const SCANS_TOPIC = 'warehouse/LYS-01/scans';
const CLIENT_ID = 'scanner-7';
/** IoT's clock, as the rules engine is given it. */
const NOW = 1_777_709_702_000;
/** What a scanner publishes. */
const SCAN = {
  scanId: 'scan-ship-1',
  orderId: '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b',
  kind: 'shipped',
  carrier: 'DHL',
  trackingNo: 'JD0146',
  at: '2026-05-02T08:15:00Z',
};

function rule(overrides: Partial<LocalTopicRule> = {}): LocalTopicRule {
  const name = overrides.name ?? 'orderflow_test_warehouse_scans';
  return {
    logicalId: 'WarehouseScansRule',
    name,
    arn: `arn:aws:iot:eu-west-1:000000000000:rule/${name}`,
    sql: SCANS_SQL,
    enabled: true,
    actions: [{ kind: 'lambda', functionName: FUNCTION, functionArn: FUNCTION_ARN }],
    errorAction: { kind: 'sqs', queueUrl: FAILURES_QUEUE_URL, useBase64: false },
    ...overrides,
  };
}

const lambdaAction = (functionName: string) =>
  ({
    kind: 'lambda',
    functionName,
    functionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
  }) as const;

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1' });
let broker: MqttBroker;
let scanner: MqttClient;
const engines: RulesEngine[] = [];

/** A rules engine on the broker with `rules`; what its Lambda actions invoked, in order. */
function engineWith(rules: LocalTopicRule[], invokeAsync?: (name: string, event: unknown) => unknown) {
  const invoked: Array<{ functionName: string; event: Record<string, unknown> }> = [];
  const logged: string[] = [];
  const engine = startRulesEngine({
    broker: broker.broker,
    rules,
    invokeAsync:
      invokeAsync ??
      ((functionName, event) => invoked.push({ functionName, event: event as Record<string, unknown> })),
    sqs,
    now: () => NOW,
    log: (line) => logged.push(line),
  });
  engines.push(engine);
  return { engine, invoked, logged };
}

/** Publishes as the scanner does (QoS 1: resolved once the broker took it). */
async function publish(topic: string, payload: unknown): Promise<void> {
  await scanner.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
}

/** Publishes on the broker itself, as the IoT data-plane shim does (no client). */
function publishOnBroker(topic: string, payload: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    broker.broker.publish(
      {
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify(payload)),
        qos: 0,
        retain: false,
        dup: false,
      },
      (error) => (error ? reject(error) : resolve()),
    ),
  );
}

/** The SendMessage calls to one queue, their bodies. */
function bodiesSentTo(queueUrl: string): string[] {
  return sqsMock
    .commandCalls(SendMessageCommand)
    .filter((call) => call.args[0].input.QueueUrl === queueUrl)
    .map((call) => call.args[0].input.MessageBody ?? '');
}

beforeAll(async () => {
  broker = await startMqttBroker(0, 0);
  scanner = await connectAsync(broker.url, { clientId: CLIENT_ID, protocolVersion: 4, reconnectPeriod: 0 });
});

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

afterEach(() => {
  for (const engine of engines.splice(0)) engine.stop();
});

afterAll(async () => {
  await scanner?.endAsync();
  await broker?.close();
  sqsMock.restore();
  sqs.destroy();
});

describe('the local IoT rules engine on the MQTT broker', () => {
  it('invokes the Lambda action with the SELECT output: the scan, siteId from the topic, the client id, IoT’s time', async () => {
    // Prepare
    const { engine, invoked } = engineWith([rule()]);

    // Act
    await publish(SCANS_TOPIC, { ...SCAN, siteId: 'spoofed' });
    await waitFor(() => invoked.length === 1, { description: 'the Lambda action' });

    // Assess
    expect(invoked).toEqual([
      {
        functionName: FUNCTION,
        event: { ...SCAN, siteId: 'LYS-01', deviceId: CLIENT_ID, receivedAt: NOW },
      },
    ]);
    expect(readDeviceScan(invoked[0]?.event)).toMatchObject({ command: 'ship', scan: { siteId: 'LYS-01' } });
    expect(engine.stats()).toEqual({ fired: { orderflow_test_warehouse_scans: 1 }, failedActions: 0 });
    expect(sqsMock.calls()).toEqual([]);
  });

  it('leaves alone a publish on another topic or of another kind', async () => {
    // Prepare
    const { engine, invoked } = engineWith([rule()]);

    // Act: three messages the rule does not take, then one it takes
    await publish('warehouse/LYS-01/scans/rejected', { ...SCAN, reason: 'unknown order' });
    await publish('warehouse/LYS-01/parcels', SCAN);
    await publish(SCANS_TOPIC, { ...SCAN, scanId: 'scan-lost', kind: 'lost' });
    await publish(SCANS_TOPIC, { ...SCAN, scanId: 'scan-last' });
    await waitFor(() => invoked.length > 0, { description: 'the last scan' });

    // Assess
    expect(invoked.map(({ event }) => event.scanId)).toEqual(['scan-last']);
    expect(engine.stats().fired).toEqual({ orderflow_test_warehouse_scans: 1 });
  });

  it('evaluates a publish made through broker.publish (the data-plane shim), with no client id', async () => {
    // Prepare
    const { invoked } = engineWith([rule()]);

    // Act
    await publishOnBroker('warehouse/PAR-02/scans', { ...SCAN, kind: 'delivered' });
    await waitFor(() => invoked.length === 1, { description: 'the Lambda action' });

    // Assess
    expect(invoked[0]?.event).toEqual({ ...SCAN, kind: 'delivered', siteId: 'PAR-02', receivedAt: NOW });
  });

  it('never matches a topic starting with $, even when the FROM filter names it', async () => {
    // Prepare
    const shadowRule = rule({
      name: 'shadow_updates',
      sql: "SELECT * FROM '$aws/things/+/shadow/update'",
      actions: [lambdaAction('shadowFunction')],
    });
    const { invoked } = engineWith([shadowRule, rule()]);

    // Act
    await publishOnBroker('$aws/things/scanner-7/shadow/update', { state: { reported: { battery: 80 } } });
    await publishOnBroker(SCANS_TOPIC, SCAN);
    await waitFor(() => invoked.length > 0, { description: 'the scan' });

    // Assess
    expect(invoked.map(({ functionName }) => functionName)).toEqual([FUNCTION]);
  });

  it('sends the SELECT output to an SQS action as JSON, or as base64 with UseBase64', async () => {
    // Prepare
    const jsonQueue = `${QUEUE_BASE}/scans-json`;
    const base64Queue = `${QUEUE_BASE}/scans-base64`;
    engineWith([
      rule({
        actions: [
          { kind: 'sqs', queueUrl: jsonQueue, useBase64: false },
          { kind: 'sqs', queueUrl: base64Queue, useBase64: true },
        ],
      }),
    ]);
    const output = { ...SCAN, siteId: 'LYS-01', deviceId: CLIENT_ID, receivedAt: NOW };

    // Act
    await publish(SCANS_TOPIC, SCAN);
    await waitFor(() => sqsMock.commandCalls(SendMessageCommand).length === 2, { description: 'both sends' });

    // Assess
    expect(bodiesSentTo(jsonQueue).map((body) => JSON.parse(body))).toEqual([output]);
    const [encoded] = bodiesSentTo(base64Queue);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8'))).toEqual(output);
  });

  it('sends IoT’s error message to the error action when an SQS action fails', async () => {
    // Prepare
    const missingQueue = `${QUEUE_BASE}/no-such-queue`;
    sqsMock
      .on(SendMessageCommand, { QueueUrl: missingQueue })
      .rejects(new Error('The specified queue does not exist.'));
    const { engine, logged } = engineWith([
      rule({ actions: [{ kind: 'sqs', queueUrl: missingQueue, useBase64: false }] }),
    ]);
    const payload = JSON.stringify(SCAN);

    // Act
    await scanner.publishAsync(SCANS_TOPIC, payload, { qos: 1 });
    await waitFor(() => bodiesSentTo(FAILURES_QUEUE_URL).length === 1, { description: 'the error action' });

    // Assess
    expect(JSON.parse(bodiesSentTo(FAILURES_QUEUE_URL)[0] ?? 'null')).toEqual({
      ruleName: 'orderflow_test_warehouse_scans',
      topic: SCANS_TOPIC,
      cloudwatchTraceId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      clientId: CLIENT_ID,
      base64OriginalPayload: Buffer.from(payload).toString('base64'),
      failures: [
        {
          failedAction: 'SqsAction',
          failedResource: missingQueue,
          errorMessage: 'The specified queue does not exist.',
        },
      ],
    });
    expect(engine.stats().failedActions).toBe(1);
    expect(logged).toContainEqual(expect.stringMatching(/sqs action failed: .*queue does not exist/));
  });

  it('sends a failed Lambda action to the error action as a LambdaAction failure of the function’s ARN', async () => {
    // Prepare
    engineWith([rule()], () => {
      throw new Error('Rate exceeded');
    });

    // Act
    await publish(SCANS_TOPIC, SCAN);
    await waitFor(() => bodiesSentTo(FAILURES_QUEUE_URL).length === 1, { description: 'the error action' });

    // Assess
    expect(JSON.parse(bodiesSentTo(FAILURES_QUEUE_URL)[0] ?? 'null')).toMatchObject({
      failures: [
        { failedAction: 'LambdaAction', failedResource: FUNCTION_ARN, errorMessage: 'Rate exceeded' },
      ],
    });
  });

  it('never fires a disabled rule', async () => {
    // Prepare: the same filter in an enabled rule tells when the message was evaluated
    const { engine, invoked } = engineWith([
      rule({ name: 'disabled_rule', enabled: false, actions: [lambdaAction('disabledFunction')] }),
      rule({ name: 'enabled_rule' }),
    ]);

    // Act
    await publish(SCANS_TOPIC, SCAN);
    await waitFor(() => invoked.length > 0, { description: 'the enabled rule' });

    // Assess
    expect(invoked.map(({ functionName }) => functionName)).toEqual([FUNCTION]);
    expect(engine.stats().fired).toEqual({ enabled_rule: 1 });
  });

  it('evaluates nothing once stopped', async () => {
    // Prepare: a second engine, started after the first stopped, tells when the message was evaluated
    const stopped = engineWith([rule({ actions: [lambdaAction('stoppedFunction')] })]);
    stopped.engine.stop();
    const running = engineWith([rule()]);

    // Act
    await publish(SCANS_TOPIC, SCAN);
    await waitFor(() => running.invoked.length > 0, { description: 'the running engine' });

    // Assess
    expect(stopped.invoked).toEqual([]);
    expect(stopped.engine.stats()).toEqual({ fired: {}, failedActions: 0 });
    expect(running.invoked.map(({ functionName }) => functionName)).toEqual([FUNCTION]);
  });
});
