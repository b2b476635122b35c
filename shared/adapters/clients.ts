import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * The SDK clients the adapters build by default, each configured once here. Every client finds its endpoint the
 * SDK's way (`AWS_ENDPOINT_URL_<SERVICE>`: AWS, the local cloud or LocalStack alike).
 */

/** DynamoDB items as plain objects; `undefined` attributes are left out rather than refused. */
export function createDocumentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** SQS at the configured endpoint, never at the host a queue URL names (which is the emulator's own, locally). */
export function createSqsClient(): SQSClient {
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}

/** Kinesis over HTTP/1.1: what kinesalite speaks, and all that PutRecords and GetRecords need on AWS. */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient({ requestHandler: new NodeHttpHandler() });
}
