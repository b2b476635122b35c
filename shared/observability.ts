import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { MetricName, MetricsRecorder } from './core/metric-names.js';

/** One logger per function (module scope); `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_LOG_LEVEL` configure it. */
export const logger = new Logger({ serviceName: 'orderflow' });

/**
 * One Metrics per function (module scope): EMF lines in namespace `orderflow` (`POWERTOOLS_METRICS_NAMESPACE`),
 * dimensions `service` (`POWERTOOLS_SERVICE_NAME`) and `stage` (`ORDERFLOW_STAGE`). Flushed at the end of each
 * invocation by `logMetrics` (`shared/http/http-handler.ts`, the consumers' middy stacks).
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'orderflow',
  serviceName: 'orderflow',
  defaultDimensions: { stage: process.env.ORDERFLOW_STAGE || 'unknown' },
  logger: {
    debug: (...args) => logger.debug(String(args[0])),
    info: (...args) => logger.info(String(args[0])),
    error: (...args) => logger.error(String(args[0])),
    // An invocation with nothing to count (a GET, a refusal counted as a single metric) is normal here.
    warn: (...args) => {
      const message = String(args[0]);
      if (message.startsWith('No application metrics to publish')) logger.debug(message);
      else logger.warn(message);
    },
  },
});

/** The counts of the code, as Powertools metrics of this invocation. */
export const metricsRecorder: MetricsRecorder = {
  count: (name: MetricName, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
};

/** Marks every metric of this function with the consumer it is (`processOrder`, `notifyCustomer`, ...). */
export function markConsumer(name: string): void {
  metrics.setDefaultDimensions({ consumer: name });
}

/** The age of the oldest record of a Kinesis batch, as `IteratorAge` (milliseconds). */
export function recordIteratorAge(oldestArrivalSeconds: number | undefined, now = Date.now()): void {
  if (oldestArrivalSeconds === undefined) return;
  metrics.addMetric('IteratorAge', MetricUnit.Milliseconds, Math.max(0, now - oldestArrivalSeconds * 1000));
}

/** One refused request (4xx), counted with its problem type. */
export function recordRefusal(problemType: string): void {
  const single = metrics.singleMetric();
  single.addDimension('problem', problemType);
  single.addMetric('RequestsRefused' satisfies MetricName, MetricUnit.Count, 1);
}

/** `POWERTOOLS_TRACE_ENABLED=false` (the local stage, `params.local.traceEnabled`): this function traces nothing. */
const tracingTurnedOff = ['false', '0'].includes((process.env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase());

/**
 * One Tracer per function (module scope): the handler's segment on AWS X-Ray (active tracing, `serverless.yml`),
 * annotated with `orderId` and `correlationId` where a request has them. SDK clients are not captured: that would
 * add to every cold start (README, "Performance").
 *
 * `undefined` where tracing is turned off, and then never imported: importing the X-Ray SDK creates its cls-hooked
 * namespace, which tracks every promise of the process through async hooks whether anything is traced or not (half
 * the wrapped cost per message of Middy + Powertools + batch in `npm run bench`). Where tracing is not turned off
 * but there is no X-Ray (a test outside Lambda), the Tracer is loaded and switches itself off, as Powertools does.
 */
export const tracer: Tracer | undefined = tracingTurnedOff
  ? undefined
  : new (await import('@aws-lambda-powertools/tracer')).Tracer({
      serviceName: 'orderflow',
      captureHTTPsRequests: false,
    });

/**
 * The handler's X-Ray segment as Middy middleware (`captureLambdaHandler`), for `.use()`: none where tracing is off
 * (an empty list; Middy refuses a middleware without `before`, `after` or `onError`).
 */
export function traceHandler(): MiddlewareObj[] {
  return tracer === undefined ? [] : [captureLambdaHandler(tracer, { captureResponse: false })];
}

/** Annotates this invocation's segment (searchable in X-Ray: `annotation.orderId = "..."`). */
export function annotateTrace(keys: { orderId?: string; correlationId?: string }): void {
  for (const [key, value] of Object.entries(keys)) if (value !== undefined) tracer?.putAnnotation(key, value);
}
