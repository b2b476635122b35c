import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { LOCAL_CREDENTIALS } from '../../local/aws-clients.js';
import type { LocalCloud } from '../../local/cloud.js';

/**
 * Invokes a function of the test's cloud by its serverless.yml name through the local Lambda Invoke API, as a tool
 * does: `RequestResponse` (the result) or `Event` (accepted, then run with Lambda's asynchronous retries).
 */
export async function invokeLocalFunction(
  cloud: LocalCloud,
  name: string,
  payload: unknown,
  invocationType: 'RequestResponse' | 'Event' = 'RequestResponse',
): Promise<number | undefined> {
  const lambda = new LambdaClient({
    region: cloud.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: cloud.endpoints.lambda,
    maxAttempts: 1,
  });
  try {
    const { StatusCode } = await lambda.send(
      new InvokeCommand({
        FunctionName: `${cloud.packaged.stackName}-${name}`,
        InvocationType: invocationType,
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    return StatusCode;
  } finally {
    lambda.destroy();
  }
}
