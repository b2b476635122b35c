import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Resolves a queue's URL from its name once (`GetQueueUrl`), memoized; a failed look-up is tried again on the next
 * call. The same plain name works on AWS and on the local cloud.
 */
export function queueUrlResolver(client: SQSClient, queueName: string): () => Promise<string> {
  let queueUrl: Promise<string> | undefined;
  const resolve = async (): Promise<string> => {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queueName }));
    if (QueueUrl === undefined) throw new Error(`GetQueueUrl returned no URL for ${queueName}`);
    return QueueUrl;
  };
  return () => {
    queueUrl ??= resolve().catch((error: unknown) => {
      queueUrl = undefined; // look it up again next time
      throw error;
    });
    return queueUrl;
  };
}
