import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { LocalClients } from '../aws-clients.js';
import { connectToLocalCloud, NPM_START_PACKAGE_DIR } from '../commands/local-target.js';
import { defaultPorts } from '../ports.js';
import { loadPackagedStack, type StackTemplate } from '../template/load-template.js';
import type { LocalFunction, ProvisionedStack } from '../template/model.js';

/**
 * Why a queue is a dead-letter queue: the DLQ of another queue (`RedrivePolicy`), of an SNS subscription (its
 * `RedrivePolicy`), or a stream event source mapping's on-failure destination (`activity-failures`).
 */
export type DeadLetterKind = 'queue-dlq' | 'subscription-dlq' | 'on-failure';

export interface DeadLetterQueue {
  /** Logical id in the template, e.g. `FulfillmentDlq`. */
  logicalId: string;
  kind: DeadLetterKind;
  name: string;
  url: string;
}

/** What a load run talks to: the HTTP API, the MQTT broker, and the emulators it reads the outcome from. */
export interface LoadTarget {
  /** The HTTP API, e.g. `http://127.0.0.1:3000`. */
  httpUrl: string;
  /** The MQTT broker, e.g. `mqtt://127.0.0.1:1883`. */
  mqttUrl: string;
  clients: Pick<LocalClients, 'sqs' | 'dynamodb' | 'kinesis'>;
  /** The stream processOrder writes status changes to (`ACTIVITY_STREAM_NAME`). */
  activityStreamName: string;
  /** The table aggregateAnalytics counts windows in (`ANALYTICS_TABLE`). */
  analyticsTableName: string;
  /** Every dead-letter queue of the stack: nothing of the run may land there. */
  deadLetterQueues: DeadLetterQueue[];
  close(): void;
}

/** A dead-letter queue as the template declares it, before it is resolved to a URL. */
export interface DeclaredDeadLetterQueue {
  logicalId: string;
  kind: DeadLetterKind;
  /** `QueueName` when the template names it (orderflow names every queue). */
  queueName?: string;
}

/**
 * The dead-letter queues a template declares, read from the wiring rather than from names: the targets of queues'
 * and subscriptions' `RedrivePolicy.deadLetterTargetArn`, and the queues named as `DestinationConfig.OnFailure` of
 * event source mappings. A queue declared twice (two consumers share `activity-failures`) is listed once.
 */
export function deadLetterQueuesOf(template: Pick<StackTemplate, 'Resources'>): DeclaredDeadLetterQueue[] {
  const found = new Map<string, DeclaredDeadLetterQueue>();
  const add = (target: unknown, kind: DeadLetterKind) => {
    const logicalId = getAttTarget(target);
    const resource = logicalId === undefined ? undefined : template.Resources[logicalId];
    if (logicalId === undefined || resource?.Type !== 'AWS::SQS::Queue' || found.has(logicalId)) return;
    const queueName = resource.Properties?.QueueName;
    found.set(logicalId, { logicalId, kind, ...(typeof queueName === 'string' ? { queueName } : {}) });
  };
  for (const { Type, Properties = {} } of Object.values(template.Resources)) {
    if (Type === 'AWS::SQS::Queue') add(redriveTarget(Properties.RedrivePolicy), 'queue-dlq');
    if (Type === 'AWS::SNS::Subscription') add(redriveTarget(Properties.RedrivePolicy), 'subscription-dlq');
    if (Type === 'AWS::Lambda::EventSourceMapping') {
      const config = Properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined;
      add(config?.OnFailure?.Destination, 'on-failure');
    }
  }
  return [...found.values()];
}

/** `RedrivePolicy` may be an object or, as the SQS API takes it, a JSON string. */
function redriveTarget(policy: unknown): unknown {
  if (typeof policy === 'string') {
    try {
      return (JSON.parse(policy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
    } catch {
      return undefined;
    }
  }
  return typeof policy === 'object' && policy !== null
    ? (policy as { deadLetterTargetArn?: unknown }).deadLetterTargetArn
    : undefined;
}

/** The logical id of `{ "Fn::GetAtt": ["X", "Arn"] }` or `{ "Fn::GetAtt": "X.Arn" }`. */
function getAttTarget(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -'.Arn'.length);
  return undefined;
}

/** The one value of `variable` across the functions' environments (whichever function is given it). */
export function environmentValue(
  functions: ReadonlyArray<Pick<LocalFunction, 'environment'>>,
  variable: string,
): string {
  const values = new Set(
    functions.flatMap(({ environment }) => (environment[variable] ? [environment[variable]] : [])),
  );
  const [value, ...others] = values;
  if (value === undefined) throw new Error(`No function of the stack has ${variable} in its environment`);
  if (others.length > 0) throw new Error(`The functions disagree on ${variable}: ${[...values].join(', ')}`);
  return value;
}

/**
 * The target of a local cloud started in this process (`startLocalCloud`, as the end-to-end test does): names from
 * its functions' environments, queue URLs from what it provisioned, the DLQs from the `template` it was started
 * from. `close` leaves the cloud's clients open.
 */
export function loadTargetOfCloud(
  cloud: {
    endpoints: { http: string; mqtt: string };
    stack: Pick<ProvisionedStack, 'functions' | 'resources'>;
    clients: Pick<LocalClients, 'sqs' | 'dynamodb' | 'kinesis'>;
  },
  template: Pick<StackTemplate, 'Resources'>,
): LoadTarget {
  return {
    httpUrl: cloud.endpoints.http,
    mqttUrl: cloud.endpoints.mqtt,
    clients: cloud.clients,
    activityStreamName: environmentValue(cloud.stack.functions, 'ACTIVITY_STREAM_NAME'),
    analyticsTableName: environmentValue(cloud.stack.functions, 'ANALYTICS_TABLE'),
    deadLetterQueues: deadLetterQueuesOf(template).map(({ logicalId, kind }) => {
      const resource = cloud.stack.resources[logicalId];
      const { QueueName: name, QueueUrl: url } = resource?.attributes ?? {};
      if (name === undefined || url === undefined) {
        throw new Error(`The local cloud provisioned no queue for ${logicalId}`);
      }
      return { logicalId, kind, name, url };
    }),
    close: () => {},
  };
}

/**
 * The target of the local cloud `npm start` runs: names from the package it wrote (connectToLocalCloud, as
 * `npm run redrive` does), the HTTP and MQTT ports by the same rule as `npm start` (3000 and 1883 unless
 * `ORDERFLOW_HTTP_PORT` / `ORDERFLOW_MQTT_PORT` say otherwise). Resolving the DLQs' URLs is the first call to the
 * emulators: it fails when nothing listens.
 */
export async function connectToRunningCloud(
  packageDir = NPM_START_PACKAGE_DIR,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadTarget> {
  const { template } = await loadPackagedStack(packageDir);
  const connection = await connectToLocalCloud(packageDir);
  try {
    const ports = defaultPorts(
      connection.functions.map((fn) => fn.environment),
      env,
    );
    const { sqs, dynamodb, kinesis } = connection.clients;
    const deadLetterQueues: DeadLetterQueue[] = [];
    for (const { logicalId, kind, queueName } of deadLetterQueuesOf(template)) {
      if (queueName === undefined) throw new Error(`The template gives ${logicalId} no QueueName`);
      const { QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      if (url === undefined) throw new Error(`GetQueueUrl returned no QueueUrl for ${queueName}`);
      deadLetterQueues.push({ logicalId, kind, name: queueName, url });
    }
    return {
      httpUrl: `http://127.0.0.1:${ports.http}`,
      mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
      clients: { sqs, dynamodb, kinesis },
      activityStreamName: environmentValue(connection.functions, 'ACTIVITY_STREAM_NAME'),
      analyticsTableName: environmentValue(connection.functions, 'ANALYTICS_TABLE'),
      deadLetterQueues,
      close: () => connection.close(),
    };
  } catch (error) {
    connection.close();
    throw error;
  }
}
