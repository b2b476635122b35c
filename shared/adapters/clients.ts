import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { withInjectedFaults } from './sdk-faults.js';

/**
 * The SDK clients the adapters build by default, each configured once here. Every client finds its endpoint the
 * SDK's way (`AWS_ENDPOINT_URL_<SERVICE>`: AWS, the local cloud or LocalStack alike), and carries the chaos run's
 * fault middleware when — and only when — the local cloud gave the function `ORDERFLOW_CHAOS` (`sdk-faults.ts`).
 *
 * Every client signs with the credentials of the environment variables (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), never the SDK's default chain: Lambda gives a function its role's
 * credentials that way, the local cloud gives its functions dummy ones, and `serverless invoke local` exports the
 * ones it resolved (a profile's too) as the same variables. Profiles, SSO, STS and instance metadata are never
 * consulted.
 *
 * Only packages whose modules have no side effects (`"sideEffects": false`) are imported here, so a bundle keeps
 * just the clients its function builds. `@aws-sdk/lib-dynamodb` declares none, and would bring DynamoDB into every
 * bundle: the document client is in `document-client.ts`.
 */
const COMMON = { credentials: fromEnv() } as const;

export function createDynamoDbClient(): DynamoDBClient {
  return withInjectedFaults(new DynamoDBClient({ ...COMMON }), 'dynamodb');
}

export function createSnsClient(): SNSClient {
  return withInjectedFaults(new SNSClient({ ...COMMON }), 'sns');
}

/** SQS at the configured endpoint, never at the host a queue URL names (which is the emulator's own, locally). */
export function createSqsClient(): SQSClient {
  return withInjectedFaults(new SQSClient({ ...COMMON, useQueueUrlAsEndpoint: false }), 'sqs');
}

/** Kinesis over HTTP/1.1: what kinesalite speaks, and all that PutRecords and GetRecords need on AWS. */
export function createKinesisClient(): KinesisClient {
  return withInjectedFaults(
    new KinesisClient({ ...COMMON, requestHandler: new NodeHttpHandler() }),
    'kinesis',
  );
}

export function createLambdaClient(): LambdaClient {
  return withInjectedFaults(new LambdaClient({ ...COMMON }), 'lambda');
}

/** The IoT data plane at the account's own endpoint (the SDK's default host is not one). */
export function createIotDataClient(endpoint: string): IoTDataPlaneClient {
  return withInjectedFaults(new IoTDataPlaneClient({ ...COMMON, endpoint }), 'iot-data');
}

/**
 * Secrets Manager, read once per execution environment (the legacy broker's credentials): no chaos faults, as a
 * cold start's single read is not what a chaos run exercises.
 */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({ ...COMMON });
}
