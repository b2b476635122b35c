import { randomUUID } from 'node:crypto';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { connectAsync, type MqttClient } from 'mqtt';
import { rejectedScansTopic } from '../../shared/app/record-scan.js';
import { scanIdsOf } from '../../shared/core/device-scan.js';
import { SITE_ID_PATTERN } from '../../shared/core/scan.js';
import { functionNameOf } from '../runtime/lambda-api.js';
import {
  type CommandIo,
  EXIT,
  parseCommandLine,
  positiveIntegerOption,
  runCommand,
  UsageError,
} from './command.js';
import type { LocalTarget } from './local-target.js';

export const DEVICE_USAGE = [
  'npm run device -- ship <orderId> [--site w1] [--carrier DHL] [--tracking <no>] [--scan-id <id>] [--wait-ms 3000]',
  '       npm run device -- deliver <orderId> [--site w1] [--scan-id <id>] [--wait-ms 3000]',
  '       npm run device -- retry [--dry-run]',
].join('\n');

/** The site a scan comes from when `--site` does not say. */
const DEFAULT_SITE = 'w1';
/** How long a scanner waits for a refusal of its scan when `--wait-ms` does not say. */
const DEFAULT_WAIT_MS = 3_000;
/** The queue that keeps the scans recordScan (or the topic rule) gave up on: its name ends with it. */
const SCAN_FAILURES = 'scan-failures';
/** How long `retry` hides the messages it took, while it sends them back (what fails is made visible again). */
const RETRY_VISIBILITY_TIMEOUT_SECONDS = 60;

type ScanCommand = 'ship' | 'deliver';
const KIND_OF_COMMAND = { ship: 'shipped', deliver: 'delivered' } as const;
const STATUS_AFTER = { ship: 'SHIPPED', deliver: 'DELIVERED' } as const;

export type DeviceArguments =
  | {
      command: ScanCommand;
      orderId: string;
      siteId: string;
      scanId?: string;
      carrier?: string;
      trackingNo?: string;
      waitMs: number;
    }
  | { command: 'retry'; dryRun: boolean };

export function parseDeviceArguments(argv: readonly string[]): DeviceArguments {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  const refuseOptions = (names: ReadonlyArray<keyof typeof values>, whatFor: string) => {
    for (const name of names) {
      if (values[name] !== undefined) throw new UsageError(`--${name} is for ${whatFor} only`);
    }
  };
  if (command === 'ship' || command === 'deliver') {
    const [orderId, ...extra] = rest;
    if (orderId === undefined || orderId === '') {
      throw new UsageError(`${command} takes the id of the order whose parcel is scanned`);
    }
    if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(' ')}`);
    if (command === 'deliver') refuseOptions(['carrier', 'tracking'], 'ship');
    refuseOptions(['dry-run'], 'retry');
    const siteId = values.site ?? DEFAULT_SITE;
    if (!SITE_ID_PATTERN.test(siteId)) {
      throw new UsageError(
        `--site must be 1-64 characters of A-Z, a-z, 0-9, _ and - (it is a level of the topic; got ${JSON.stringify(siteId)})`,
      );
    }
    return {
      command,
      orderId,
      siteId,
      ...(values['scan-id'] === undefined ? {} : { scanId: values['scan-id'] }),
      ...(values.carrier === undefined ? {} : { carrier: values.carrier }),
      ...(values.tracking === undefined ? {} : { trackingNo: values.tracking }),
      waitMs: positiveIntegerOption(values['wait-ms'], 'wait-ms') ?? DEFAULT_WAIT_MS,
    };
  }
  if (command === 'retry') {
    if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
    refuseOptions(['site', 'carrier', 'tracking', 'scan-id', 'wait-ms'], 'ship and deliver');
    return { command, dryRun: values['dry-run'] === true };
  }
  throw new UsageError(
    command === undefined ? 'say what to do: ship, deliver or retry' : `unknown command ${command}`,
  );
}

function parse(argv: readonly string[]) {
  return parseCommandLine(argv, {
    options: {
      site: { type: 'string' },
      carrier: { type: 'string' },
      tracking: { type: 'string' },
      'scan-id': { type: 'string' },
      'wait-ms': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
}

/** The scan-failures queue of a local cloud, and how to hand a scan back to its function. */
export interface ScanFailures {
  queueName: string;
  queueUrl: string;
  sqs: Pick<SQSClient, 'send'>;
  /** Lambda's `Invoke` with `InvocationType: Event`: resolves once Lambda accepted the event (202). */
  invokeEvent(functionName: string, payload: unknown): Promise<void>;
  close(): void;
}

export interface DeviceDependencies {
  /** The MQTT broker the scanner talks to (the local cloud's: `mqtt://127.0.0.1:1883` by default). */
  mqttUrl(): string | Promise<string>;
  /** `retry`: the running local cloud's scan-failures queue and Lambda Invoke API. */
  scanFailures(): Promise<ScanFailures>;
  /** The scanner's clock (`at`). */
  now?: () => Date;
  /** A new `scanId` when `--scan-id` does not give one (default a UUID). */
  newScanId?: () => string;
  /** How long each receive from scan-failures waits for messages (SQS long polling; default 1 s). */
  receiveWaitSeconds?: number;
}

/**
 * `npm run device`: a stand-in warehouse scanner on the local MQTT broker. `ship` and `deliver` publish a scan to
 * `warehouse/<site>/scans` as client `scanner-<site>` (QoS 1), as a device does, and wait a little for a refusal of
 * it on `warehouse/<site>/scans/rejected` (exit 1 when refused). `retry` sends back what scan-failures holds: a
 * Lambda destination record to its function (an `Event` invoke, so Lambda's retries apply again), a topic rule's
 * error message to its topic (its original payload), deleting each message once its resend was accepted.
 */
export function deviceCommand(
  argv: readonly string[],
  dependencies: DeviceDependencies,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'device',
    DEVICE_USAGE,
    io,
    async () => {
      const options = parseDeviceArguments(argv);
      if (options.command === 'retry') return retry(options.dryRun, dependencies, io);
      return scan(options, dependencies, io);
    },
    () => 'Is the local cloud running (npm start)?',
  );
}

/** What a site is told about a refused scan (`recordScan`): its ids when they were readable, and why. */
interface Refusal {
  scanId?: string;
  orderId?: string;
  reason: string;
}

async function scan(
  options: Extract<DeviceArguments, { command: ScanCommand }>,
  dependencies: DeviceDependencies,
  io: CommandIo,
): Promise<number> {
  const { command, orderId, siteId, waitMs } = options;
  const scanId = options.scanId ?? (dependencies.newScanId ?? randomUUID)();
  const kind = KIND_OF_COMMAND[command];
  const message = {
    scanId,
    orderId,
    kind,
    ...(options.carrier === undefined ? {} : { carrier: options.carrier }),
    ...(options.trackingNo === undefined ? {} : { trackingNo: options.trackingNo }),
    at: (dependencies.now?.() ?? new Date()).toISOString(),
  };
  const topic = `warehouse/${siteId}/scans`;
  const rejectedTopic = rejectedScansTopic(siteId);
  const clientId = `scanner-${siteId}`;

  const client = await connectMqtt(await dependencies.mqttUrl(), clientId);
  try {
    const closed = whenClosed(client);
    // The refusal may come back before the publish is acknowledged: listen first.
    const refusal = new Promise<Refusal>((resolve) => {
      client.on('message', (messageTopic, payload) => {
        if (messageTopic !== rejectedTopic) return;
        const heard = readRefusal(payload);
        if (heard !== undefined && isRefusalOf(heard, { scanId, orderId })) resolve(heard);
      });
    });
    const [grant] = await Promise.race([client.subscribeAsync(rejectedTopic, { qos: 1 }), closed]);
    if (grant === undefined || grant.qos === 128) {
      throw new Error(`the broker refused the subscription to ${rejectedTopic}`);
    }
    await Promise.race([client.publishAsync(topic, JSON.stringify(message), { qos: 1 }), closed]);
    const extras = [
      options.carrier === undefined ? undefined : `carrier ${options.carrier}`,
      options.trackingNo === undefined ? undefined : `tracking ${options.trackingNo}`,
    ].filter((extra) => extra !== undefined);
    io.out(
      `sent ${kind} scan ${scanId} of order ${orderId} to ${topic} as ${clientId}${
        extras.length === 0 ? '' : ` (${extras.join(', ')})`
      }`,
    );

    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    });
    const refused = await Promise.race([refusal, waited, closed]).finally(() => clearTimeout(timer));
    if (refused !== undefined) {
      io.err(`scan ${scanId} was refused (${rejectedTopic}): ${refused.reason}`);
      return EXIT.failed;
    }
    io.out(
      `no refusal within ${waitMs / 1000} s: watch orders/+/${orderId}/status for ${STATUS_AFTER[command]}`,
    );
    return EXIT.ok;
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

/** MQTT 3.1.1, a clean session, no reconnection: a command connects once and says so when it cannot. */
function connectMqtt(url: string, clientId: string): Promise<MqttClient> {
  return connectAsync(url, {
    clientId,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
}

/** Rejects when the connection to the broker closes (what an awaited subscribe, publish or wait must not outlive). */
function whenClosed(client: MqttClient): Promise<never> {
  let lastError: Error | undefined;
  client.on('error', (error) => {
    lastError = error;
  });
  const closed = new Promise<never>((_resolve, reject) => {
    client.once('close', () =>
      reject(new Error(`the broker closed the connection${lastError ? `: ${lastError.message}` : ''}`)),
    );
  });
  closed.catch(() => undefined); // handled where it is awaited; closing at the end is no error
  return closed;
}

function readRefusal(payload: Buffer): Refusal | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as Record<string, unknown> | null;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.reason !== 'string') return undefined;
    return {
      ...(typeof parsed.scanId === 'string' ? { scanId: parsed.scanId } : {}),
      ...(typeof parsed.orderId === 'string' ? { orderId: parsed.orderId } : {}),
      reason: parsed.reason,
    };
  } catch {
    return undefined;
  }
}

/**
 * A refusal of this scan: by its `scanId`, or — when orderflow could not read the scan id (it echoes only valid
 * ones) — by its order.
 */
function isRefusalOf(refusal: Refusal, sent: { scanId: string; orderId: string }): boolean {
  if (refusal.scanId !== undefined) return refusal.scanId === sent.scanId;
  return refusal.orderId !== undefined && refusal.orderId === sent.orderId;
}

/** A message of scan-failures, read: where it is to go back to. */
type ScanFailure =
  | { kind: 'destination'; functionName: string; payload: unknown }
  | { kind: 'rule-error'; topic: string; payload: Buffer }
  | { kind: 'unknown' };

/**
 * Lambda's on-failure destination record (`requestContext.functionArn`, `requestPayload`: the event it gave up on),
 * or the topic rule's error action message (`topic`, `base64OriginalPayload`: what the device published).
 */
function readFailure(body: string | undefined): ScanFailure {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    if (typeof parsed !== 'object' || parsed === null) return { kind: 'unknown' };
    record = parsed as Record<string, unknown>;
  } catch {
    return { kind: 'unknown' };
  }
  const context = record.requestContext as Record<string, unknown> | undefined;
  if (typeof context === 'object' && context !== null && typeof context.functionArn === 'string') {
    const functionName = functionNameOf(context.functionArn);
    if (functionName !== '' && 'requestPayload' in record) {
      return { kind: 'destination', functionName, payload: record.requestPayload };
    }
  }
  if (typeof record.topic === 'string' && typeof record.base64OriginalPayload === 'string') {
    return {
      kind: 'rule-error',
      topic: record.topic,
      payload: Buffer.from(record.base64OriginalPayload, 'base64'),
    };
  }
  return { kind: 'unknown' };
}

/** `scan s-1 of order o-1`, from what the scan holds; the message id when it holds neither. */
function describeFailure(failure: ScanFailure, message: Message): string {
  let scan: unknown;
  if (failure.kind === 'destination') scan = failure.payload;
  if (failure.kind === 'rule-error') {
    try {
      scan = JSON.parse(failure.payload.toString('utf8'));
    } catch {
      scan = undefined;
    }
  }
  const { scanId, orderId } = scanIdsOf(scan);
  if (scanId === undefined && orderId === undefined) return `message ${message.MessageId ?? '(no id)'}`;
  const ofOrder = orderId === undefined ? '' : ` of order ${orderId}`;
  return scanId === undefined ? `a scan${ofOrder}` : `scan ${scanId}${ofOrder}`;
}

async function retry(dryRun: boolean, dependencies: DeviceDependencies, io: CommandIo): Promise<number> {
  const failures = await dependencies.scanFailures();
  const { sqs, queueUrl, queueName } = failures;
  // Connected when a rule error message is to be published again: one connection for all of them.
  let mqtt: Promise<{ client: MqttClient; closed: Promise<never> }> | undefined;
  const publish = async (topic: string, payload: Buffer) => {
    mqtt ??= Promise.resolve(dependencies.mqttUrl())
      .then((url) => connectMqtt(url, `scan-retry-${randomUUID().slice(0, 8)}`))
      .then((client) => ({ client, closed: whenClosed(client) }));
    const { client, closed } = await mqtt;
    await Promise.race([client.publishAsync(topic, payload, { qos: 1 }), closed]);
  };
  try {
    const messages = await receiveAll(failures, dependencies.receiveWaitSeconds ?? 1);
    if (messages.length === 0) {
      io.out(`${queueName} is empty: nothing to send back`);
      return EXIT.ok;
    }
    const left: Message[] = [];
    let sentBack = 0;
    for (const message of messages) {
      const failure = readFailure(message.Body);
      const what = describeFailure(failure, message);
      if (failure.kind === 'unknown') {
        io.err(
          `${what}: neither a Lambda destination record nor a topic rule error message, left in the queue`,
        );
        left.push(message);
        continue;
      }
      const where =
        failure.kind === 'destination'
          ? `sent back to ${failure.functionName}`
          : `published again to ${failure.topic}`;
      if (dryRun) {
        io.out(`${what}: would be ${where}`);
        left.push(message);
        continue;
      }
      try {
        if (failure.kind === 'destination') {
          await failures.invokeEvent(failure.functionName, failure.payload);
        } else {
          await publish(failure.topic, failure.payload);
        }
      } catch (error) {
        io.err(`${what}: could not be ${where} (${errorText(error)}), left in the queue`);
        left.push(message);
        continue;
      }
      sentBack += 1;
      try {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        io.out(`${what}: ${where}`);
      } catch (error) {
        io.err(`${what}: ${where}, but could not be deleted from ${queueName} (${errorText(error)})`);
        left.push(message);
      }
    }
    // What was not sent back is visible again at once, for the next retry (or whoever reads the queue).
    await Promise.allSettled(
      left.map((message) =>
        sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        ),
      ),
    );
    if (dryRun) {
      io.out(`${queueName}: ${messages.length} message(s), none sent back or deleted (--dry-run)`);
      return messages.some((message) => readFailure(message.Body).kind === 'unknown') ? EXIT.failed : EXIT.ok;
    }
    io.out(`${queueName}: ${sentBack} of ${messages.length} message(s) sent back, ${left.length} left in it`);
    return left.length > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    if (mqtt !== undefined) {
      const connected = await mqtt.catch(() => undefined);
      await connected?.client.endAsync().catch(() => undefined);
    }
    failures.close();
  }
}

/** Every message of the queue, each hidden while `retry` works on it (a message is taken once). */
async function receiveAll(failures: ScanFailures, waitTimeSeconds: number): Promise<Message[]> {
  const taken = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await failures.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: failures.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: RETRY_VISIBILITY_TIMEOUT_SECONDS,
      }),
    );
    const fresh = Messages.filter((message) => !taken.has(message.MessageId ?? ''));
    if (fresh.length === 0) return [...taken.values()];
    for (const message of fresh) taken.set(message.MessageId ?? randomUUID(), message);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Lambda's `Invoke` with `InvocationType: Event` through `lambda`: accepted when Lambda answers 202. */
export function lambdaEventInvoker(
  lambda: Pick<LambdaClient, 'send'>,
): (functionName: string, payload: unknown) => Promise<void> {
  return async (functionName, payload) => {
    const output = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    if (output.StatusCode !== 202) {
      throw new Error(`Lambda answered ${output.StatusCode ?? 'no status'} to the Event invoke, not 202`);
    }
  };
}

/**
 * The scan-failures queue of a local cloud (the one whose name ends with `-scan-failures`), its URL, and the Lambda
 * Invoke API to send destination records back through. `close` closes the target.
 */
export async function scanFailuresOf(target: LocalTarget): Promise<ScanFailures> {
  try {
    const queueName = target.queueNames.find(
      (name) => name === SCAN_FAILURES || name.endsWith(`-${SCAN_FAILURES}`),
    );
    if (queueName === undefined) {
      throw new Error(
        `the stack has no ${SCAN_FAILURES} queue (its queues: ${target.queueNames.join(', ') || 'none'})`,
      );
    }
    const { QueueUrl } = await target.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    if (QueueUrl === undefined) throw new Error(`GetQueueUrl returned no URL for ${queueName}`);
    return {
      queueName,
      queueUrl: QueueUrl,
      sqs: target.clients.sqs,
      invokeEvent: lambdaEventInvoker(target.clients.lambda),
      close: () => target.close(),
    };
  } catch (error) {
    target.close();
    throw error;
  }
}
