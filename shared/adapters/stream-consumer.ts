import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { OrderflowError } from '../core/errors.js';
import type { StreamConsumer } from '../core/ports.js';
import * as z from '../core/zod.js';
import { createLambdaClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';

/** A partial batch response (`ReportBatchItemFailures`); `null` or no list means every record succeeded. */
const batchResponseSchema = z.nullable(
  z.object({ batchItemFailures: z.nullish(z.array(z.object({ itemIdentifier: z.string() }))) }),
);

/** The consumer's invocation ended in a function error, or answered something that is not a batch response. */
export class ConsumerInvocationError extends OrderflowError {
  override readonly name = 'ConsumerInvocationError';
  readonly retryable = true;
  constructor(functionArn: string, detail: string) {
    super(`${functionArn} failed: ${detail}`);
  }
}

/**
 * `StreamConsumer` through Lambda's `Invoke` (synchronous): the sequence numbers the consumer reports in its
 * partial batch response, or `ConsumerInvocationError` for a function error.
 */
export function createStreamConsumer({
  client = createLambdaClient(),
}: {
  client?: LambdaClient;
} = {}): StreamConsumer {
  return {
    async invoke(functionArn, event) {
      let output: InvokeCommandOutput;
      try {
        output = await client.send(
          new InvokeCommand({
            FunctionName: functionArn,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(event)),
          }),
        );
      } catch (error) {
        throw asDependencyError('LAMBDA', error);
      }
      const text = output.Payload === undefined ? 'null' : new TextDecoder().decode(output.Payload);
      if (output.FunctionError !== undefined) throw new ConsumerInvocationError(functionArn, text);
      let json: unknown;
      try {
        json = JSON.parse(text || 'null');
      } catch {
        throw new ConsumerInvocationError(functionArn, `its response is not JSON: ${text.slice(0, 200)}`);
      }
      const response = batchResponseSchema.safeParse(json);
      if (!response.success) {
        throw new ConsumerInvocationError(
          functionArn,
          `its response is not a batch response: ${text.slice(0, 200)}`,
        );
      }
      return (response.data?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    },
  };
}
