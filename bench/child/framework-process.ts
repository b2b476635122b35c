/**
 * A benchmark child process: what the consumers' framework stack costs per message, on its own. The same no-op
 * record handler runs over the same 10-record SQS batch twice: bare (a loop), and the way the consumers wrap theirs
 * (`functions/process-order.ts`): Middy with the Powertools Tracer (where `POWERTOOLS_TRACE_ENABLED` is not false),
 * Logger and Metrics middleware, and the batch utility's `processPartialResponse`. Writes
 * `{ bareMicrosPerMessage, wrappedMicrosPerMessage }` on fd 3.
 */
import { writeSync } from 'node:fs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, markConsumer, metrics, traceHandler } from '../../shared/observability.js';

const BATCHES = Number(process.env.BENCH_ITERATIONS ?? 5000);
const job = JSON.parse(process.env.BENCH_JOB ?? 'null') as { event: SQSEvent } | null;
if (job === null) throw new Error('BENCH_JOB is not set: this process is started by npm run bench');
const template = job.event.Records[0] as SQSRecord;
const batch: SQSEvent = {
  Records: Array.from({ length: 10 }, (_, index) => ({ ...template, messageId: `message-${index}` })),
};
const context = {
  functionName: 'framework',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:framework',
  memoryLimitInMB: '1024',
  awsRequestId: 'request',
  logGroupName: '/aws/lambda/framework',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as Context;

let seen = 0;
const noop = async (record: SQSRecord): Promise<void> => {
  if (record.messageId !== '') seen += 1;
};

const bare = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  for (const record of event.Records) await noop(record);
  return { batchItemFailures: [] };
};

markConsumer('framework');
const processor = new BatchProcessor(EventType.SQS);
const wrapped = middy(
  async (event: SQSEvent, lambdaContext: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, noop, processor, {
      context: lambdaContext,
      throwOnFullBatchFailure: false,
      processInParallel: true,
    }),
)
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));

async function microsPerMessage(
  handler: (event: SQSEvent, context: Context) => Promise<unknown>,
): Promise<number> {
  for (let i = 0; i < Math.max(100, BATCHES / 10); i += 1) await handler(batch, context);
  const before = process.cpuUsage();
  for (let i = 0; i < BATCHES; i += 1) await handler(batch, context);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (BATCHES * batch.Records.length);
}

// Alternated and repeated, the lowest of each kept: what the code costs, not what the machine did meanwhile.
const bareRuns: number[] = [];
const wrappedRuns: number[] = [];
for (let round = 0; round < 3; round += 1) {
  bareRuns.push(await microsPerMessage(bare));
  wrappedRuns.push(await microsPerMessage(wrapped));
}
if (seen === 0) throw new Error('the record handler never ran');
writeSync(
  3,
  `${JSON.stringify({ bareMicrosPerMessage: Math.min(...bareRuns), wrappedMicrosPerMessage: Math.min(...wrappedRuns) })}\n`,
);
