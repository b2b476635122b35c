import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  createLocalClients,
  LOCAL_ACCOUNT_ID,
  LOCAL_CREDENTIALS,
  type LocalClients,
} from '../aws-clients.js';
import { PROJECT_ROOT } from '../package-stack.js';
import { defaultPorts } from '../ports.js';
import { loadPackagedStack, type StackTemplate } from '../template/load-template.js';
import type { LocalFunction, ProvisionedStack } from '../template/model.js';

/** What a command needs of a running local cloud: its functions' names and environments, and clients for it. */
export interface LocalTarget {
  region: string;
  accountId: string;
  functions: ReadonlyArray<Pick<LocalFunction, 'name' | 'environment'>>;
  /** Queue names in the stack, as the template declares them (`QueueName`). */
  queueNames: readonly string[];
  /** `lambda` calls the local cloud's Lambda Invoke API. */
  clients: Pick<LocalClients, 'sqs' | 'dynamodb' | 'kinesis'> & { lambda: LambdaClient };
  close(): void;
}

/** The package `npm start` runs, and so the one the commands read names from. */
export const NPM_START_PACKAGE_DIR = join(PROJECT_ROOT, '.local-cloud', 'package');

/**
 * Connects to the local cloud `npm start` runs: names from the package it wrote, ports as it chose them (the same
 * rule, so `ORDERFLOW_*_PORT` variables apply to both).
 */
export async function connectToLocalCloud(packageDir = NPM_START_PACKAGE_DIR): Promise<LocalTarget> {
  const { template, region } = await loadPackagedStack(packageDir);
  const functions = functionsOf(template);
  const ports = defaultPorts(functions.map((fn) => fn.environment));
  const endpoint = (port: number) => `http://127.0.0.1:${port}`;
  const clients = createLocalClients(
    {
      sqsSns: endpoint(ports.sqsSns),
      dynamodb: endpoint(ports.dynamodb),
      kinesis: endpoint(ports.kinesis),
      iotData: endpoint(ports.iotData),
    },
    region,
  );
  const lambda = new LambdaClient({
    region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: endpoint(ports.lambda),
    maxAttempts: 1,
  });
  return {
    region,
    accountId: LOCAL_ACCOUNT_ID,
    functions,
    queueNames: queueNamesOf(template),
    clients: { ...clients, lambda },
    close: () => {
      clients.destroy();
      lambda.destroy();
    },
  };
}

/** The `local` stage gives functions plain-string names and environments: no intrinsic to resolve. */
function functionsOf(template: StackTemplate): Array<Pick<LocalFunction, 'name' | 'environment'>> {
  return Object.values(template.Resources).flatMap(({ Type, Properties = {} }) => {
    const variables = (Properties.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    return Type === 'AWS::Lambda::Function' && typeof Properties.FunctionName === 'string'
      ? [{ name: Properties.FunctionName, environment: variables ?? {} }]
      : [];
  });
}

function queueNamesOf(template: StackTemplate): string[] {
  return Object.values(template.Resources).flatMap(({ Type, Properties = {} }) =>
    Type === 'AWS::SQS::Queue' && typeof Properties.QueueName === 'string' ? [Properties.QueueName] : [],
  );
}

/**
 * Connects a command to a local cloud started in this process (`startLocalCloud`), as `connectToLocalCloud` does to
 * the one `npm start` runs: how the end-to-end tests run the commands. `close` leaves the cloud's own clients open.
 */
export function localTargetOf(cloud: {
  region: string;
  stack: Pick<ProvisionedStack, 'functions' | 'resources'>;
  clients: Pick<LocalClients, 'sqs' | 'dynamodb' | 'kinesis'>;
  endpoints: { lambda: string };
}): LocalTarget {
  const lambda = new LambdaClient({
    region: cloud.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: cloud.endpoints.lambda,
    maxAttempts: 1,
  });
  return {
    region: cloud.region,
    accountId: LOCAL_ACCOUNT_ID,
    functions: cloud.stack.functions,
    queueNames: Object.values(cloud.stack.resources).flatMap((resource) =>
      resource.type === 'AWS::SQS::Queue' && resource.attributes.QueueName !== undefined
        ? [resource.attributes.QueueName]
        : [],
    ),
    clients: { ...cloud.clients, lambda },
    close: () => lambda.destroy(),
  };
}
