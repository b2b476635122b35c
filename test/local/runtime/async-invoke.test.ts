import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AsyncInvoker, createAsyncInvoker } from '../../../local/runtime/async-invoke.js';
import type { InvokeOutcome } from '../../../local/runtime/types.js';
import type { AsyncInvokeConfig } from '../../../local/template/model.js';
import { waitFor } from '../../support/wait-for.js';

const FUNCTION = 'orderflow-test-recordScan';
const FUNCTION_ARN = `arn:aws:lambda:eu-west-1:000000000000:function:${FUNCTION}`;
const FAILURES_QUEUE_URL = 'http://127.0.0.1:4566/000000000000/orderflow-test-scan-failures';
const EVENT = { scanId: 'scan-1', orderId: 'o-1', kind: 'delivered', siteId: 'LYS-01' };
const TOO_EARLY: InvokeOutcome = {
  status: 'error',
  errorType: 'ScanTooEarlyError',
  errorMessage: "Scan too early for order 'o-1'",
};
const OK: InvokeOutcome = { status: 'ok', result: { kind: 'applied' } };

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1' });
const invokers: AsyncInvoker[] = [];

/** recordScan's EventInvokeConfig, with an on-failure queue unless told otherwise. */
function config(overrides: Partial<AsyncInvokeConfig> = {}): AsyncInvokeConfig {
  return {
    functionName: FUNCTION,
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 3600,
    onFailure: {
      type: 'sqs',
      arn: 'arn:aws:sqs:eu-west-1:000000000000:orderflow-test-scan-failures',
      queueUrl: FAILURES_QUEUE_URL,
    },
    ...overrides,
  };
}

/** An invoker with a fake `invoke` answering `outcomes` in turn (the last one from then on), retries after 10 and 20 ms. */
function invokerWith(
  outcomes: InvokeOutcome[],
  configs: AsyncInvokeConfig[] = [config()],
  retryDelaysMs: number[] = [10, 20],
) {
  const invoke = vi.fn(async (_name: string, _event: unknown) => outcomes.shift() ?? TOO_EARLY);
  const log = vi.fn<(line: string) => void>();
  const invoker = createAsyncInvoker({
    invoke,
    configs,
    functionArns: new Map([[FUNCTION, FUNCTION_ARN]]),
    sqs,
    retryDelaysMs,
    log,
  });
  invokers.push(invoker);
  return { invoker, invoke, log };
}

/** The destination records sent to the on-failure queue, parsed. */
function destinationRecords(): Array<Record<string, unknown>> {
  return sqsMock
    .commandCalls(SendMessageCommand)
    .map((call) => JSON.parse(call.args[0].input.MessageBody ?? 'null') as Record<string, unknown>);
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

afterEach(() => {
  for (const invoker of invokers.splice(0)) invoker.stop();
  vi.useRealTimers();
});

afterAll(() => {
  sqsMock.restore();
  sqs.destroy();
});

describe('Lambda’s asynchronous invocation in the local cloud', () => {
  it('attempts a failing event 1 + maximumRetryAttempts times, then sends Lambda’s destination record to the on-failure queue', async () => {
    // Prepare
    const { invoker, invoke, log } = invokerWith([]);

    // Act
    const { requestId } = invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0, { description: 'the event to be given up' });

    // Assess
    expect(invoke).toHaveBeenCalledTimes(3);
    expect(invoke.mock.calls).toEqual([
      [FUNCTION, EVENT],
      [FUNCTION, EVENT],
      [FUNCTION, EVENT],
    ]);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: FAILURES_QUEUE_URL });
    expect(destinationRecords()).toEqual([
      {
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        requestContext: {
          requestId,
          functionArn: `${FUNCTION_ARN}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: EVENT,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'ScanTooEarlyError', errorMessage: "Scan too early for order 'o-1'" },
      },
    ]);
    expect(log).toHaveBeenCalledWith(
      expect.stringMatching(/sent to its on-failure queue \(RetriesExhausted\)/),
    );
  });

  it('puts the last attempt’s error in the record', async () => {
    // Prepare
    const { invoker } = invokerWith([
      { status: 'error', errorType: 'First', errorMessage: 'one' },
      { status: 'error', errorType: 'Second', errorMessage: 'two' },
      { status: 'error', errorType: 'Third', errorMessage: 'three' },
    ]);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(destinationRecords().map((record) => record.responsePayload)).toEqual([
      { errorType: 'Third', errorMessage: 'three' },
    ]);
  });

  it('attempts an event once with maximumRetryAttempts 0', async () => {
    // Prepare
    const { invoker, invoke } = invokerWith([], [config({ maximumRetryAttempts: 0 })]);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(destinationRecords()).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 1 }),
      }),
    ]);
  });

  it('sends nowhere an event that succeeds on its second attempt', async () => {
    // Prepare
    const { invoker, invoke } = invokerWith([TOO_EARLY, OK]);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(invoke).toHaveBeenCalledTimes(2);
    expect(sqsMock.calls()).toEqual([]);
  });

  it('gives Lambda’s defaults (2 retries) to a function without an EventInvokeConfig', async () => {
    // Prepare: with no configuration there is no on-failure queue either
    const { invoker, invoke, log } = invokerWith([], []);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(invoke).toHaveBeenCalledTimes(3);
    expect(sqsMock.calls()).toEqual([]);
    expect(log).toHaveBeenCalledWith(
      expect.stringMatching(/dropped \(RetriesExhausted, no on-failure queue\)/),
    );
  });

  it('gives up with EventAgeExceeded when the next retry would come after the maximum event age', async () => {
    // Prepare: the first retry comes 10 ms later, the second would come 61 s later, past an age of 60 s
    const { invoker, invoke } = invokerWith([], [config({ maximumEventAgeSeconds: 60 })], [10, 61_000]);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(invoke).toHaveBeenCalledTimes(2);
    expect(destinationRecords()).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'EventAgeExceeded', approximateInvokeCount: 2 }),
        requestPayload: EVENT,
        responsePayload: { errorType: 'ScanTooEarlyError', errorMessage: "Scan too early for order 'o-1'" },
      }),
    ]);
  });

  it('drops an event with a log line when the function has no on-failure destination', async () => {
    // Prepare
    const { invoker, invoke, log } = invokerWith([], [config({ onFailure: undefined })]);

    // Act
    const { requestId } = invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(invoke).toHaveBeenCalledTimes(3);
    expect(sqsMock.calls()).toEqual([]);
    expect(log).toHaveBeenCalledWith(
      `${FUNCTION}: asynchronous event ${requestId} dropped (RetriesExhausted, no on-failure queue)`,
    );
  });

  it('counts each accepted event as pending until it is finished, then goes back to 0', async () => {
    // Prepare
    const { invoker } = invokerWith([TOO_EARLY, OK, OK]);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    invoker.invokeAsync(FUNCTION, { ...EVENT, scanId: 'scan-2' });
    const pendingAtOnce = invoker.pending();
    await waitFor(() => invoker.pending() === 0);

    // Assess
    expect(pendingAtOnce).toBe(2);
    expect(invoker.pending()).toBe(0);
  });

  it('finishes an event whose on-failure queue refuses its record, logging why', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new Error('The specified queue does not exist.'));
    const { invoker, log } = invokerWith([], [config({ maximumRetryAttempts: 0 })]);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => log.mock.calls.some(([line]) => line.includes('queue does not exist')));

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(invoker.pending()).toBe(0);
  });

  it('finishes an event whose invocation fails in the local cloud itself, logging why', async () => {
    // Prepare
    const invoke = vi.fn(async () => {
      throw new Error('the function runtime is gone');
    });
    const log = vi.fn<(line: string) => void>();
    const invoker = createAsyncInvoker({
      invoke,
      configs: [config()],
      functionArns: new Map(),
      sqs,
      retryDelaysMs: [10, 20],
      log,
    });
    invokers.push(invoker);

    // Act
    invoker.invokeAsync(FUNCTION, EVENT);
    await waitFor(() => log.mock.calls.length > 0);

    // Assess
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/failed in the local cloud: .*runtime is gone/));
    expect(invoker.pending()).toBe(0);
    expect(sqsMock.calls()).toEqual([]);
  });

  it('cancels the retries still waiting when stopped', async () => {
    // Prepare: two events whose retry comes 1 s after their first attempt; the clock is the test's
    vi.useFakeTimers();
    const stopped = invokerWith([], [config()], [1_000, 1_000]);
    const running = invokerWith([], [config()], [1_000, 1_000]);
    stopped.invoker.invokeAsync(FUNCTION, EVENT);
    running.invoker.invokeAsync(FUNCTION, EVENT);
    await vi.advanceTimersByTimeAsync(0);

    // Act
    stopped.invoker.stop();
    await vi.advanceTimersByTimeAsync(1_500);

    // Assess
    expect(stopped.invoke).toHaveBeenCalledTimes(1);
    expect(running.invoke).toHaveBeenCalledTimes(2);
  });
});
