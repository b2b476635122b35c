import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  createLocalClients,
  LOCAL_ACCOUNT_ID,
  LOCAL_CREDENTIALS,
  type LocalClients,
} from '../aws-clients.js';
import { defaultPorts } from '../listen-ports.js';
import { NPM_START_PACKAGE_DIR } from '../package-stack.js';
import type { LocalFunction, ProvisionedStack } from '../template/model.js';
import { loadPackagedStack, type PackagedStack } from '../template/packaged-stack.js';

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

/**
 * Connects to the local cloud `npm start` runs: names from the package it wrote, ports as it chose them (the same
 * rule, so `ORDERFLOW_*_PORT` variables apply to both).
 */
export async function connectToLocalCloud(packageDir = NPM_START_PACKAGE_DIR): Promise<LocalTarget> {
  return localTargetOfPackage(await loadPackagedStack(packageDir));
}

/** `connectToLocalCloud` for a package already read (`npm run load` needs more of it than a command does). */
export function localTargetOfPackage(
  packaged: Pick<PackagedStack, 'region' | 'functions' | 'queueNames'>,
): LocalTarget {
  const { region, functions } = packaged;
  const ports = defaultPorts(functions);
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
    queueNames: packaged.queueNames,
    clients: { ...clients, lambda },
    close: () => {
      clients.destroy();
      lambda.destroy();
    },
  };
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
