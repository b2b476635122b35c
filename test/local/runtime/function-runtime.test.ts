import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFunctionRuntime,
  type FunctionRuntime,
  type FunctionRuntimeOptions,
} from '../../../local/runtime/function-runtime.js';
import type { LocalFunction } from '../../../local/template/model.js';
import { waitFor } from '../../support/wait-for.js';

const REGION = 'eu-west-1';
const ACCOUNT_ID = '000000000000';

/** Handler sources, each an ESM module like the serverless-esbuild bundles (`functions/<name>.js`). */
const HANDLERS = {
  echo: `export const handler = async (event) => ({ received: event });`,
  environment: `
    export const handler = async ({ names }) => Object.fromEntries(names.map((name) => [name, process.env[name] ?? null]));`,
  context: `
    export const handler = async (event, context) => {
      const first = context.getRemainingTimeInMillis();
      await new Promise((resolve) => setTimeout(resolve, 25));
      const { getRemainingTimeInMillis, done, fail, succeed, ...fields } = context;
      return {
        ...fields,
        callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
        callbacks: [typeof done, typeof fail, typeof succeed],
        remaining: [first, context.getRemainingTimeInMillis()],
      };
    };`,
  failing: `
    class OutOfStockError extends Error { name = 'OutOfStockError'; }
    export const handler = async () => { throw new OutOfStockError('SKU-1 is out of stock'); };`,
  counter: `
    let invocations = 0;
    export const handler = async ({ hang }) => {
      invocations += 1;
      if (hang) return new Promise(() => {});
      return { invocations };
    };`,
  crashing: `
    let invocations = 0;
    export const handler = async ({ crash }) => {
      invocations += 1;
      if (crash) {
        setTimeout(() => { throw new TypeError('the background task broke'); }, 1);
        return new Promise(() => {});
      }
      return { invocations };
    };`,
  overlap: `
    const environment = Math.random().toString(36).slice(2);
    let running = 0;
    let mostAtOnce = 0;
    export const handler = async ({ holdMs }) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      running -= 1;
      return { environment, mostAtOnce };
    };`,
  callback: `export const handler = (event, context, callback) => { setTimeout(() => callback(null, { via: 'callback' }), 1); };`,
  unserialisable: `export const handler = async () => ({ total: 10n });`,
  wrongExport: `export const handle = async () => 'almost';`,
  chatty: `export const handler = async ({ marker }) => { console.log(marker); console.error(marker + ' on stderr'); return 'logged'; };`,
} as const satisfies Record<string, string>;

type HandlerName = keyof typeof HANDLERS;

let root: string;
let packageDir: string;
let runtimes: FunctionRuntime[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'orderflow-runtime-test-'));
  packageDir = join(root, 'package');
  await mkdir(packageDir);
  runtimes = [];
});

afterEach(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

/** A packaged function like serverless-esbuild's: `functions/<name>.js` and `functions/package.json` in a zip. */
async function packagedFunction(
  handler: HandlerName,
  overrides: Partial<LocalFunction> = {},
): Promise<LocalFunction> {
  const name = overrides.name ?? `orderflow-test-${handler}`;
  const artifact = `${name}.zip`;
  const zip = zipSync({
    'functions/package.json': strToU8('{"type":"module"}'),
    [`functions/${handler}.js`]: strToU8(HANDLERS[handler]),
  });
  await writeFile(join(packageDir, artifact), zip);
  return {
    logicalId: `${handler}LambdaFunction`,
    name,
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}`,
    artifact,
    handler: `functions/${handler}.handler`,
    timeoutSeconds: 5,
    memoryMb: 256,
    environment: {},
    ...overrides,
  };
}

function startRuntime(
  functions: LocalFunction[],
  options: Partial<FunctionRuntimeOptions> = {},
): FunctionRuntime {
  const runtime = createFunctionRuntime({
    packageDir,
    workDir: join(root, 'work'),
    functions,
    environment: {},
    region: REGION,
    accountId: ACCOUNT_ID,
    output: 'silent',
    log: () => undefined,
    ...options,
  });
  runtimes.push(runtime);
  return runtime;
}

describe('createFunctionRuntime', () => {
  it("returns the handler's result", async () => {
    // Prepare
    const echo = await packagedFunction('echo');
    const runtime = startRuntime([echo]);

    // Act
    const outcome = await runtime.invoke(echo.name, { orderId: 'o-1', items: [1, 2] });

    // Assess
    expect(outcome).toEqual({ status: 'ok', result: { received: { orderId: 'o-1', items: [1, 2] } } });
  });

  it('invokes through an invoker bound to one function', async () => {
    // Prepare
    const echo = await packagedFunction('echo');
    const invoke = startRuntime([echo]).invoker(echo.name);

    // Act
    const outcome = await invoke({ n: 1 });

    // Assess
    expect(outcome).toEqual({ status: 'ok', result: { received: { n: 1 } } });
  });

  it('reports a thrown error with its name as errorType and its message', async () => {
    // Prepare
    const failing = await packagedFunction('failing');
    const runtime = startRuntime([failing]);

    // Act
    const outcome = await runtime.invoke(failing.name, {});

    // Assess
    expect(outcome).toEqual({
      status: 'error',
      errorType: 'OutOfStockError',
      errorMessage: 'SKU-1 is out of stock',
    });
  });

  it('applies a changed environment from the next cold start, like a configuration update', async () => {
    // Prepare
    const fn = await packagedFunction('environment', {
      name: 'orderflow-test-updated',
      environment: { SWITCH: 'on', KEPT: 'yes' },
    });
    const runtime = startRuntime([fn]);
    const before = await runtime.invoke(fn.name, { names: ['SWITCH', 'KEPT'] });

    // Act
    runtime.updateEnvironment(fn.name, { SWITCH: undefined, ADDED: 'new' });
    const after = await runtime.invoke(fn.name, { names: ['SWITCH', 'KEPT', 'ADDED'] });

    // Assess
    expect(before).toEqual({ status: 'ok', result: { SWITCH: 'on', KEPT: 'yes' } });
    expect(after).toEqual({ status: 'ok', result: { SWITCH: null, KEPT: 'yes', ADDED: 'new' } });
  });

  it('lets an invocation handed to a starting environment finish when an update retires it during init', async () => {
    // Prepare
    const fn = await packagedFunction('environment', {
      name: 'orderflow-test-update-during-init',
      environment: { SWITCH: 'old' },
    });
    const runtime = startRuntime([fn]);

    // Act: the first invocation waits for the cold start while the update comes in.
    const during = runtime.invoke(fn.name, { names: ['SWITCH'] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    runtime.replaceEnvironment(fn.name, { SWITCH: 'new' });
    const after = await runtime.invoke(fn.name, { names: ['SWITCH'] });

    // Assess
    expect(await during).toEqual({ status: 'ok', result: { SWITCH: 'old' } });
    expect(after).toEqual({ status: 'ok', result: { SWITCH: 'new' } });
    expect(runtime.configuration(fn.name).environment).toEqual({ SWITCH: 'new' });
  });

  it('gives each function its own environment, without the host credentials', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'host-access-key');
    vi.stubEnv('AWS_PROFILE', 'host-profile');
    const first = await packagedFunction('environment', {
      name: 'orderflow-test-first',
      environment: { ORDERS_TABLE: 'orders-first' },
    });
    const second = await packagedFunction('environment', {
      name: 'orderflow-test-second',
      environment: { ORDERS_TABLE: 'orders-second', AWS_ACCESS_KEY_ID: 'local-key' },
    });
    const runtime = startRuntime([first, second], {
      environment: { SHARED_ENDPOINT: 'http://127.0.0.1:4566' },
    });
    const names = [
      'ORDERS_TABLE',
      'AWS_ACCESS_KEY_ID',
      'AWS_PROFILE',
      'SHARED_ENDPOINT',
      'AWS_REGION',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_LAMBDA_FUNCTION_VERSION',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
      'AWS_EXECUTION_ENV',
      'LAMBDA_TASK_ROOT',
      '_HANDLER',
    ];

    // Act
    const [firstOutcome, secondOutcome] = await Promise.all([
      runtime.invoke(first.name, { names }),
      runtime.invoke(second.name, { names }),
    ]);

    // Assess
    expect(firstOutcome).toEqual({
      status: 'ok',
      result: {
        ORDERS_TABLE: 'orders-first',
        AWS_ACCESS_KEY_ID: null,
        AWS_PROFILE: null,
        SHARED_ENDPOINT: 'http://127.0.0.1:4566',
        AWS_REGION: REGION,
        AWS_LAMBDA_FUNCTION_NAME: 'orderflow-test-first',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: join(root, 'work', 'orderflow-test-first'),
        _HANDLER: 'functions/environment.handler',
      },
    });
    expect(secondOutcome).toMatchObject({
      status: 'ok',
      result: { ORDERS_TABLE: 'orders-second', AWS_ACCESS_KEY_ID: 'local-key', AWS_PROFILE: null },
    });
  });

  it('passes a Lambda context whose remaining time decreases', async () => {
    // Prepare
    const context = await packagedFunction('context', { timeoutSeconds: 3 });
    const runtime = startRuntime([context]);

    // Act
    const [first, second] = await Promise.all([
      runtime.invoke(context.name, {}),
      runtime.invoke(context.name, {}),
    ]);

    // Assess
    expect(first).toMatchObject({
      status: 'ok',
      result: {
        awsRequestId: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        functionName: context.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: context.arn,
        memoryLimitInMB: '256',
        logGroupName: `/aws/lambda/${context.name}`,
        logStreamName: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/),
        callbackWaitsForEmptyEventLoop: true,
        callbacks: ['function', 'function', 'function'],
      },
    });
    const result = (first.status === 'ok' ? first.result : {}) as {
      remaining: number[];
      awsRequestId: string;
    };
    const [before = Number.NaN, after = Number.NaN] = result.remaining;
    expect(before).toBeLessThanOrEqual(3000);
    expect(before).toBeGreaterThan(0);
    expect(after).toBeLessThan(before);
    expect(second).toMatchObject({ status: 'ok', result: { awsRequestId: expect.any(String) } });
    expect(second.status === 'ok' && (second.result as { awsRequestId: string }).awsRequestId).not.toBe(
      result.awsRequestId,
    );
  });

  it('times out a handler that never resolves and cold-starts the next invocation', async () => {
    // Prepare
    const counter = await packagedFunction('counter', { timeoutSeconds: 1 });
    const runtime = startRuntime([counter]);
    const warm = await runtime.invoke(counter.name, {});
    const startedAt = Date.now();

    // Act
    const timedOut = await runtime.invoke(counter.name, { hang: true });
    const elapsed = Date.now() - startedAt;
    const next = await runtime.invoke(counter.name, {});

    // Assess
    expect(warm).toEqual({ status: 'ok', result: { invocations: 1 } });
    expect(timedOut).toEqual({
      status: 'error',
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(next).toEqual({ status: 'ok', result: { invocations: 1 } });
  });

  it('fails the running invocation when the environment crashes and starts a new one after', async () => {
    // Prepare
    const crashing = await packagedFunction('crashing');
    const runtime = startRuntime([crashing]);
    await runtime.invoke(crashing.name, {});

    // Act
    const crashed = await runtime.invoke(crashing.name, { crash: true });
    const next = await runtime.invoke(crashing.name, {});

    // Assess
    expect(crashed).toEqual({
      status: 'error',
      errorType: 'TypeError',
      errorMessage: 'the background task broke',
    });
    expect(next).toEqual({ status: 'ok', result: { invocations: 1 } });
  });

  it('runs concurrent invocations in environments of their own, never two in one environment', async () => {
    // Prepare
    const overlap = await packagedFunction('overlap', { timeoutSeconds: 3 });
    const runtime = startRuntime([overlap]);

    // Act
    const outcomes = await Promise.all([1, 2, 3].map(() => runtime.invoke(overlap.name, { holdMs: 100 })));

    // Assess
    const results = outcomes.map((outcome) => (outcome.status === 'ok' ? outcome.result : outcome));
    expect(results).toEqual([1, 2, 3].map(() => ({ environment: expect.any(String), mostAtOnce: 1 })));
    expect(new Set(results.map((result) => (result as { environment: string }).environment)).size).toBe(3);
    expect(runtime.concurrency(overlap.name)).toMatchObject({ environments: 3, busy: 0, coldStarts: 3 });
  });

  it('reuses a warm environment for the next invocation instead of cold-starting another', async () => {
    // Prepare
    const overlap = await packagedFunction('overlap');
    const runtime = startRuntime([overlap]);

    // Act
    const first = await runtime.invoke(overlap.name, { holdMs: 1 });
    const second = await runtime.invoke(overlap.name, { holdMs: 1 });

    // Assess
    expect(second).toEqual(first);
    expect(runtime.concurrency(overlap.name)).toMatchObject({ environments: 1, coldStarts: 1 });
  });

  it('makes invocations past the concurrency limit wait their turn for a free environment', async () => {
    // Prepare
    const overlap = await packagedFunction('overlap', { timeoutSeconds: 3 });
    const runtime = startRuntime([overlap], { concurrency: 2 });

    // Act
    const pending = [1, 2, 3, 4, 5].map(() => runtime.invoke(overlap.name, { holdMs: 50 }));
    const whileRunning = await waitFor(() => {
      const now = runtime.concurrency(overlap.name);
      return now.busy === 2 && now.waiting === 3 ? now : undefined;
    });
    const outcomes = await Promise.all(pending);

    // Assess
    expect(whileRunning).toMatchObject({ environments: 2, limit: 2 });
    const environments = outcomes.map((outcome) => outcome.status === 'ok' && outcome.result);
    expect(
      environments.every((result) => result && (result as { mostAtOnce: number }).mostAtOnce === 1),
    ).toBe(true);
    expect(new Set(environments.map((result) => (result as { environment: string }).environment)).size).toBe(
      2,
    );
    expect(runtime.concurrency(overlap.name)).toMatchObject({ waiting: 0, coldStarts: 2 });
  });

  it("holds a function to its reserved concurrency when that is below the runtime's limit", async () => {
    // Prepare
    const overlap = await packagedFunction('overlap', { reservedConcurrency: 1, timeoutSeconds: 3 });
    const runtime = startRuntime([overlap], { concurrency: 10 });

    // Act
    const outcomes = await Promise.all([1, 2, 3].map(() => runtime.invoke(overlap.name, { holdMs: 20 })));

    // Assess
    expect(runtime.concurrencyLimit(overlap.name)).toBe(1);
    const environments = outcomes.map((outcome) => outcome.status === 'ok' && outcome.result);
    expect(new Set(environments.map((result) => (result as { environment: string }).environment)).size).toBe(
      1,
    );
  });

  it('throttles every invocation of a function whose reserved concurrency is 0', async () => {
    // Prepare
    const echo = await packagedFunction('echo', { reservedConcurrency: 0 });
    const runtime = startRuntime([echo]);

    // Act
    const invocation = runtime.invoke(echo.name, {});

    // Assess
    await expect(invocation).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  });

  it('shuts an idle environment down after the idle timeout, so the next invocation is a cold start', async () => {
    // Prepare
    const counter = await packagedFunction('counter');
    const runtime = startRuntime([counter], { idleTimeoutMs: 50 });
    const first = await runtime.invoke(counter.name, {});

    // Act
    await waitFor(() => runtime.concurrency(counter.name).environments === 0, {
      description: 'the idle environment to retire',
    });
    const second = await runtime.invoke(counter.name, {});

    // Assess
    expect(first).toEqual({ status: 'ok', result: { invocations: 1 } });
    expect(second).toEqual({ status: 'ok', result: { invocations: 1 } });
    expect(runtime.concurrency(counter.name).coldStarts).toBe(2);
  });

  it('logs each cold start with the function, the environment count and the init time', async () => {
    // Prepare
    const lines: string[] = [];
    const overlap = await packagedFunction('overlap', { timeoutSeconds: 3 });
    const runtime = startRuntime([overlap], { concurrency: 4, log: (line) => lines.push(line) });

    // Act
    await Promise.all([1, 2].map(() => runtime.invoke(overlap.name, { holdMs: 50 })));
    await runtime.invoke(overlap.name, { holdMs: 1 });

    // Assess
    await waitFor(() => lines.length >= 2);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        new RegExp(`^${overlap.name}: cold start, environment [12] of 4 \\(init \\d+ ms\\)$`),
      );
    }
  });

  it('replaces a timed-out environment while the other environments keep their state', async () => {
    // Prepare
    const counter = await packagedFunction('counter', { timeoutSeconds: 1 });
    const runtime = startRuntime([counter]);
    await runtime.invoke(counter.name, {});

    // Act
    const [timedOut, alongside] = await Promise.all([
      runtime.invoke(counter.name, { hang: true }),
      runtime.invoke(counter.name, {}),
    ]);
    const next = await runtime.invoke(counter.name, {});

    // Assess
    expect(timedOut).toMatchObject({ status: 'error', errorType: 'Sandbox.Timedout' });
    expect(alongside).toEqual({ status: 'ok', result: { invocations: 1 } });
    expect(next).toEqual({ status: 'ok', result: { invocations: 2 } });
  });

  it('settles a callback-style handler with its callback', async () => {
    // Prepare
    const callback = await packagedFunction('callback');
    const runtime = startRuntime([callback]);

    // Act
    const outcome = await runtime.invoke(callback.name, {});

    // Assess
    expect(outcome).toEqual({ status: 'ok', result: { via: 'callback' } });
  });

  it('fails an invocation whose result cannot be serialised', async () => {
    // Prepare
    const unserialisable = await packagedFunction('unserialisable');
    const runtime = startRuntime([unserialisable]);

    // Act
    const outcome = await runtime.invoke(unserialisable.name, {});

    // Assess
    expect(outcome).toEqual({
      status: 'error',
      errorType: 'Error',
      errorMessage: 'Unable to stringify response body',
    });
  });

  it('reports a missing handler export as Runtime.HandlerNotFound on every invocation', async () => {
    // Prepare
    const wrongExport = await packagedFunction('wrongExport');
    const runtime = startRuntime([wrongExport]);
    const expected = {
      status: 'error',
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'functions/wrongExport.handler is undefined or not exported',
    };

    // Act
    const outcomes = [await runtime.invoke(wrongExport.name, {}), await runtime.invoke(wrongExport.name, {})];

    // Assess
    expect(outcomes).toEqual([expected, expected]);
  });

  it('reports a missing handler module as Runtime.ImportModuleError', async () => {
    // Prepare
    const echo = await packagedFunction('echo', { handler: 'functions/nowhere.handler' });
    const runtime = startRuntime([echo]);

    // Act
    const outcome = await runtime.invoke(echo.name, {});

    // Assess
    expect(outcome).toEqual({
      status: 'error',
      errorType: 'Runtime.ImportModuleError',
      errorMessage: "Error: Cannot find module 'nowhere'",
    });
  });

  it('starts every environment at once when eager, so the first invocation finds it ready', async () => {
    // Prepare
    const counter = await packagedFunction('counter');
    const runtime = startRuntime([counter], { eager: true });

    // Act
    await runtime.warm();
    const outcome = await runtime.invoke(counter.name, {});

    // Assess
    expect(outcome).toEqual({ status: 'ok', result: { invocations: 1 } });
  });

  it('rejects an invocation of a function it does not run', async () => {
    // Prepare
    const runtime = startRuntime([await packagedFunction('echo')]);

    // Act
    const invocation = runtime.invoke('orderflow-test-unknown', {});

    // Assess
    await expect(invocation).rejects.toThrow('Function not found: orderflow-test-unknown');
  });

  it('prints handler output with a [function] prefix when inherited', async () => {
    // Prepare
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const chatty = await packagedFunction('chatty');
    const runtime = startRuntime([chatty], { output: 'inherit' });

    // Act
    await runtime.invoke(chatty.name, { marker: 'inherited-marker' });
    await runtime.close();

    // Assess
    expect(stdout).toHaveBeenCalledWith(`[${chatty.name}] inherited-marker\n`);
    expect(stderr).toHaveBeenCalledWith(`[${chatty.name}] inherited-marker on stderr\n`);
  });

  it('hands each output line to an output callback', async () => {
    // Prepare
    const lines: Array<[string, string]> = [];
    const chatty = await packagedFunction('chatty');
    const runtime = startRuntime([chatty], { output: (fn, line) => lines.push([fn, line]) });

    // Act
    await runtime.invoke(chatty.name, { marker: 'callback-marker' });
    await runtime.close();

    // Assess
    expect(lines).toEqual(
      expect.arrayContaining([
        [chatty.name, 'callback-marker'],
        [chatty.name, 'callback-marker on stderr'],
      ]),
    );
  });

  it('prints nothing when silent', async () => {
    // Prepare
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const chatty = await packagedFunction('chatty');
    const runtime = startRuntime([chatty], { output: 'silent' });

    // Act
    const outcome = await runtime.invoke(chatty.name, { marker: 'silent-marker' });
    await runtime.close();

    // Assess
    expect(outcome).toEqual({ status: 'ok', result: 'logged' });
    const written = [...stdout.mock.calls, ...stderr.mock.calls].map(([chunk]) => String(chunk));
    expect(written.filter((chunk) => chunk.includes('silent-marker'))).toEqual([]);
  });
});
