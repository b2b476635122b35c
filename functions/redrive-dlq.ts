import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type RedriveReport, runRedrive } from '../shared/app/redrive-dlq.js';
import { ValidationError } from '../shared/core/errors.js';
import { toFieldIssues } from '../shared/core/field-issues.js';
import * as z from '../shared/core/zod.js';
import { logger, metrics, metricsRecorder, traceHandler } from '../shared/observability.js';
import { createRedrivePortsFromEnv, REDRIVE_QUEUES } from '../shared/wiring/redrive-ports.js';

const portsFor = createRedrivePortsFromEnv();

const requestSchema = z.strictObject({
  queue: z.enum(REDRIVE_QUEUES),
  max: z.optional(z.number().check(z.int(), z.minimum(1))),
  dryRun: z.optional(z.boolean()),
  orderId: z.optional(z.string().check(z.minLength(1))),
  parkAfter: z.optional(z.number().check(z.int(), z.minimum(1))),
  unpark: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
});

/** `serverless invoke -f redriveDlq --data '{"queue":"fulfillment","max":100}'`: redrives one queue's DLQ. */
export const handler = middy(async (event: unknown, context: Context): Promise<RedriveReport> => {
  const request = requestSchema.safeParse(event);
  if (!request.success) throw new ValidationError(toFieldIssues(request.error));
  const report = await runRedrive(portsFor(request.data.queue), {
    ...request.data,
    owner: context.awsRequestId,
  });
  logger.info('Redrive finished', { report });
  countRedrive(report);
  return report;
})
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));

/** A real run counts what it moved and parked (a parked message is an alarm: a poison message needs a fix). */
function countRedrive(report: RedriveReport): void {
  if (report.dryRun) return;
  metricsRecorder.count('MessagesRedriven', report.moved.length);
  metricsRecorder.count('MessagesParked', report.parked.length);
}
