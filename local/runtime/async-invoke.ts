import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AsyncInvokeConfig } from '../template/model.js';
import type { InvokeFunction, InvokeOutcome } from './types.js';

/** Lambda retries a failed asynchronous invocation after about a minute, then after about two more. */
export const LAMBDA_ASYNC_RETRY_DELAYS_MS = [60_000, 120_000] as const;

export interface AsyncInvokerOptions {
  /** The runtime's synchronous invoke: one attempt. */
  invoke: InvokeFunction;
  /** The functions' `AWS::Lambda::EventInvokeConfig`s (a function without one gets Lambda's defaults). */
  configs: readonly AsyncInvokeConfig[];
  /** The function ARN in a destination record, by name. */
  functionArns: ReadonlyMap<string, string>;
  sqs: Pick<SQSClient, 'send'>;
  /** The wait before each retry (default Lambda's 1 and 2 minutes; tests shorten them). */
  retryDelaysMs?: readonly number[];
  now?: () => number;
  log?: (line: string) => void;
}

export interface AsyncInvoker {
  /** Queues an event invocation (`InvocationType: Event`): accepted at once, run and retried in the background. */
  invokeAsync(functionName: string, event: unknown): { requestId: string };
  /** Invocations accepted and not yet finished (succeeded, or given to their on-failure destination). */
  pending(): number;
  /** Drops the retries still waiting (the local cloud is stopping). */
  stop(): void;
}

/**
 * Lambda's asynchronous invocation, as an IoT rule's Lambda action (or `InvocationType: Event`) gets it: the event is
 * accepted and queued; a failed attempt is retried up to `maximumRetryAttempts` times (default 2) after Lambda's
 * delays, unless the event is older than `maximumEventAgeSeconds`; an event that exhausts its retries or its age is
 * sent to the on-failure destination as Lambda's destination record (`requestContext.condition` `RetriesExhausted`
 * or `EventAgeExceeded`, the original event as `requestPayload`, the last error as `responsePayload`), or dropped
 * with a log line when there is none.
 */
export function createAsyncInvoker(options: AsyncInvokerOptions): AsyncInvoker {
  const {
    invoke,
    sqs,
    retryDelaysMs = LAMBDA_ASYNC_RETRY_DELAYS_MS,
    now = Date.now,
    log = (line: string) => console.error(line),
  } = options;
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let stopped = false;

  const configOf = (functionName: string): AsyncInvokeConfig =>
    options.configs.find((config) => config.functionName === functionName) ?? {
      functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 21_600,
    };

  const giveUp = async (
    config: AsyncInvokeConfig,
    event: unknown,
    requestId: string,
    attempts: number,
    condition: 'RetriesExhausted' | 'EventAgeExceeded',
    last: Extract<InvokeOutcome, { status: 'error' }> | undefined,
  ) => {
    const destination = config.onFailure;
    if (destination?.type !== 'sqs') {
      log(
        `${config.functionName}: asynchronous event ${requestId} dropped (${condition}, no on-failure queue)`,
      );
      return;
    }
    const record = {
      version: '1.0',
      timestamp: new Date(now()).toISOString(),
      requestContext: {
        requestId,
        functionArn: `${options.functionArns.get(config.functionName) ?? config.functionName}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload:
        last === undefined ? null : { errorType: last.errorType, errorMessage: last.errorMessage },
    };
    await sqs.send(
      new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(record) }),
    );
    log(
      `${config.functionName}: asynchronous event ${requestId} sent to its on-failure queue (${condition})`,
    );
  };

  const attempt = async (
    functionName: string,
    event: unknown,
    requestId: string,
    acceptedAt: number,
    attempts: number,
  ): Promise<void> => {
    if (stopped) return;
    const config = configOf(functionName);
    const outcome = await invoke(functionName, event);
    if (outcome.status === 'ok') return finish();
    if (attempts > config.maximumRetryAttempts) {
      await giveUp(config, event, requestId, attempts, 'RetriesExhausted', outcome).catch(reportGiveUp);
      return finish();
    }
    const delay = retryDelaysMs[attempts - 1] ?? retryDelaysMs.at(-1) ?? 0;
    if (now() + delay - acceptedAt > config.maximumEventAgeSeconds * 1000) {
      await giveUp(config, event, requestId, attempts, 'EventAgeExceeded', outcome).catch(reportGiveUp);
      return finish();
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt(functionName, event, requestId, acceptedAt, attempts + 1).catch(report);
    }, delay);
    timers.add(timer);
  };

  const finish = () => {
    inFlight -= 1;
  };
  const report = (error: unknown) => {
    finish();
    log(`asynchronous invocation failed in the local cloud: ${error}`);
  };
  // The event is finished by its caller either way: only said, not counted again.
  const reportGiveUp = (error: unknown) => {
    log(`asynchronous invocation failed in the local cloud: ${error}`);
  };

  return {
    invokeAsync(functionName, event) {
      const requestId = randomUUID();
      inFlight += 1;
      void attempt(functionName, event, requestId, now(), 1).catch(report);
      return { requestId };
    },
    pending: () => inFlight,
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
