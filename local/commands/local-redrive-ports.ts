import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '../../shared/adapters/document-client.js';
import type { RedrivePorts } from '../../shared/app/redrive-dlq.js';
import { createRedrivePortsFromEnv, type RedriveQueue } from '../../shared/wiring/redrive-ports.js';
import type { LocalFunction } from '../template/model.js';

/**
 * The redrive ports of the local cloud: the queue and table names come from the environment serverless.yml gives
 * `redriveDlq` (in the packaged template), the clients are the local cloud's.
 */
export function localRedrivePorts(
  functions: ReadonlyArray<Pick<LocalFunction, 'name' | 'environment'>>,
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient },
): (queue: RedriveQueue) => RedrivePorts {
  const redriveDlq = functions.find((fn) => fn.name.endsWith('-redriveDlq'));
  if (redriveDlq === undefined) throw new Error('The packaged stack has no redriveDlq function');
  return createRedrivePortsFromEnv(redriveDlq.environment, {
    sqs: clients.sqs,
    dynamodb: createDocumentClient(clients.dynamodb),
  });
}
