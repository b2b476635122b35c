import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { signLocalToken } from '../auth/local-token.js';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE } from '../auth/signing-key.js';
import type { LocalClients } from '../aws-clients.js';
import { localTargetOfPackage } from '../commands/local-target.js';
import { defaultPorts } from '../listen-ports.js';
import { NPM_START_PACKAGE_DIR } from '../package-stack.js';
import type { LocalFunction, ProvisionedStack } from '../template/model.js';
import {
  type DeadLetterKind,
  loadPackagedStack,
  type PackagedStack,
  theJwtAuthorizer,
} from '../template/packaged-stack.js';
import type { IssueToken } from './http-driver.js';

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
  /** A token the HTTP API accepts, for a customer (`sub`) and with scopes if any. */
  issueToken: IssueToken;
  close(): void;
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
 * its functions' environments, queue URLs from what it provisioned, the DLQs from the package it was started from.
 * `close` leaves the cloud's clients open.
 */
export function loadTargetOfCloud(cloud: {
  endpoints: { http: string; mqtt: string };
  stack: Pick<ProvisionedStack, 'functions' | 'resources'>;
  clients: Pick<LocalClients, 'sqs' | 'dynamodb' | 'kinesis'>;
  packaged: Pick<PackagedStack, 'deadLetterQueues'>;
  issueToken: IssueToken;
}): LoadTarget {
  return {
    httpUrl: cloud.endpoints.http,
    mqttUrl: cloud.endpoints.mqtt,
    clients: cloud.clients,
    activityStreamName: environmentValue(cloud.stack.functions, 'ACTIVITY_STREAM_NAME'),
    analyticsTableName: environmentValue(cloud.stack.functions, 'ANALYTICS_TABLE'),
    deadLetterQueues: cloud.packaged.deadLetterQueues.map(({ logicalId, kind }) => {
      const resource = cloud.stack.resources[logicalId];
      const { QueueName: name, QueueUrl: url } = resource?.attributes ?? {};
      if (name === undefined || url === undefined) {
        throw new Error(`The local cloud provisioned no queue for ${logicalId}`);
      }
      return { logicalId, kind, name, url };
    }),
    issueToken: cloud.issueToken,
    close: () => {},
  };
}

/**
 * The target of the local cloud `npm start` runs: names from the package it wrote (read once, and connected to as
 * `npm run redrive` connects), the HTTP and MQTT ports by the same rule as `npm start` (3000 and 1883 unless
 * `ORDERFLOW_HTTP_PORT` / `ORDERFLOW_MQTT_PORT` say otherwise), tokens signed with the checkout's key as
 * `npm start` trusts it. Resolving the DLQs' URLs is the first call to the emulators: it fails when nothing listens.
 */
export async function connectToRunningCloud(
  packageDir = NPM_START_PACKAGE_DIR,
  env: NodeJS.ProcessEnv = process.env,
  signingKeyFile = SIGNING_KEY_FILE,
): Promise<LoadTarget> {
  const packaged = await loadPackagedStack(packageDir);
  const { issuer, audience } = theJwtAuthorizer(packaged);
  const signingKey = await loadOrCreateSigningKey(signingKeyFile);
  const issueToken: IssueToken = ({ sub, scopes }) =>
    signLocalToken(signingKey, { sub, scopes, issuer, audience: audience[0] as string });
  const connection = localTargetOfPackage(packaged);
  try {
    const ports = defaultPorts(packaged.functions, env);
    const { sqs, dynamodb, kinesis } = connection.clients;
    const deadLetterQueues: DeadLetterQueue[] = [];
    for (const { logicalId, kind, queueName } of packaged.deadLetterQueues) {
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
      issueToken,
      close: () => connection.close(),
    };
  } catch (error) {
    connection.close();
    throw error;
  }
}
