import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from '../template/model.js';
import { extractArtifact } from './artifacts.js';
import type { Invoke, InvokeOutcome } from './types.js';

/** Where the functions' console output goes: prefixed to this process's stdout/stderr, nowhere, or a callback. */
export type FunctionOutput = 'inherit' | 'silent' | ((functionName: string, line: string) => void);

export interface FunctionRuntimeOptions {
  /** The directory `serverless package` wrote the zips to (`.serverless/`). */
  packageDir: string;
  /** Each function is extracted into `<workDir>/<function name>/`. */
  workDir: string;
  functions: LocalFunction[];
  /** Variables every function gets on top of the Lambda defaults: endpoints, region, dummy credentials. */
  environment: Record<string, string>;
  region: string;
  /** Builds `invokedFunctionArn` for a function that has no `arn`. */
  accountId: string;
  output?: FunctionOutput;
  /** Start every function's environment at once instead of on its first invocation. */
  eager?: boolean;
}

export interface FunctionRuntime {
  invoker(functionName: string): Invoke;
  invoke(functionName: string, event: unknown): Promise<InvokeOutcome>;
  /** Cold-starts the named functions (all by default) and waits until their init phase has ended. */
  warm(functionNames?: string[]): Promise<void>;
  /**
   * Changes a function's environment like Lambda's UpdateFunctionConfiguration: the running environment finishes
   * its invocations and the next invocation cold-starts with the new variables (`undefined` removes one).
   */
  updateEnvironment(functionName: string, variables: Record<string, string | undefined>): void;
  /** Terminates every environment; invocations still running end as `Runtime.ExitError`. */
  close(): Promise<void>;
}

type ErrorReport = { errorType: string; errorMessage: string };

/** Lambda's limit for the init phase of an on-demand environment. */
const INIT_LIMIT_MS = 10_000;
/** Lambda's limit for a synchronous response payload, as its error message states it. */
const MAX_RESPONSE_BYTES = 6_291_556;
const WORKER_URL = new URL('./lambda-worker.js', import.meta.url);

/** Credentials and profiles of the host: a function only gets the credentials its `environment` gives it. */
const HOST_CREDENTIAL_VARIABLE =
  /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|CREDENTIAL_EXPIRATION|PROFILE|DEFAULT_PROFILE|SHARED_CREDENTIALS_FILE|CONFIG_FILE|ROLE_ARN|ROLE_SESSION_NAME|WEB_IDENTITY_TOKEN_FILE|CONTAINER_CREDENTIALS_RELATIVE_URI|CONTAINER_CREDENTIALS_FULL_URI|CONTAINER_AUTHORIZATION_TOKEN(_FILE)?|SSO_\w+)$/;

export interface LambdaEnvironmentInput {
  region: string;
  /** The extracted package (`LAMBDA_TASK_ROOT`). */
  taskRoot: string;
  logStreamName: string;
  /** Shared variables (endpoints, region, dummy credentials), applied after the Lambda defaults. */
  environment: Record<string, string>;
  host?: NodeJS.ProcessEnv;
}

/**
 * The environment variables of one function's execution environment, as Lambda builds them: the reserved
 * `AWS_LAMBDA_*`/`AWS_REGION`/`_HANDLER`/`LAMBDA_TASK_ROOT` variables and `TZ=:UTC`, then the shared variables,
 * then the function's own `Environment.Variables`. The host's variables are kept, minus its AWS credentials.
 */
export function lambdaEnvironment(fn: LocalFunction, input: LambdaEnvironmentInput): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.host ?? process.env)) {
    if (value !== undefined && !HOST_CREDENTIAL_VARIABLE.test(name)) variables[name] = value;
  }
  return {
    ...variables,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: input.logStreamName,
    LAMBDA_TASK_ROOT: input.taskRoot,
    _HANDLER: fn.handler,
    TZ: ':UTC',
    ...input.environment,
    ...fn.environment,
  };
}

/** A log stream name like Lambda's: `2024/05/01/[$LATEST]` and 32 hex digits, one per environment. */
function newLogStreamName(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/** `--enable-source-maps` in `NODE_OPTIONS` is the one option orderflow sets; a worker takes it as `execArgv`. */
function workerExecArgv(environment: Record<string, string>): string[] {
  return (environment.NODE_OPTIONS ?? '').split(/\s+/).filter((option) => option === '--enable-source-maps');
}

function lineWriter(fn: LocalFunction, output: FunctionOutput, stream: 'stdout' | 'stderr') {
  if (output === 'silent') return undefined;
  if (output === 'inherit') return (line: string) => process[stream].write(`[${fn.name}] ${line}\n`);
  return (line: string) => output(fn.name, line);
}

function pipeLines(input: Readable, write: ((line: string) => void) | undefined): void {
  if (write === undefined) {
    input.resume();
    return;
  }
  createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }).on('line', write);
}

interface PendingInvocation {
  awsRequestId: string;
  /** The event as JSON text: what Lambda's Invoke API carries. */
  event: string;
  resolve(outcome: InvokeOutcome): void;
  timer?: NodeJS.Timeout;
}

type WorkerMessage =
  | { type: 'ready' }
  | ({ type: 'init-error' } & ErrorReport)
  | { type: 'result'; awsRequestId: string; payload: string }
  | ({ type: 'error'; awsRequestId: string } & ErrorReport)
  | ({ type: 'crash' } & ErrorReport);

const failed = ({ errorType, errorMessage }: ErrorReport): InvokeOutcome => ({
  status: 'error',
  errorType,
  errorMessage,
});

const timedOut = (seconds: number): ErrorReport => ({
  errorType: 'Sandbox.Timedout',
  errorMessage: `Task timed out after ${seconds.toFixed(2)} seconds`,
});

/**
 * One execution environment of a function: a worker thread. It accepts invocations until it is retired (a timeout,
 * an init failure, a crash); a retired environment takes no new invocation and is terminated as soon as none of
 * its own is still running, so the next invocation of the function is a cold start.
 */
class Sandbox {
  private state: 'init' | 'ready' | 'retired' = 'init';
  private readonly waiting: PendingInvocation[] = [];
  private readonly running = new Map<string, PendingInvocation>();
  private crash: ErrorReport | undefined;
  private readonly initTimer: NodeJS.Timeout;
  private readonly worker: Worker;
  /** Settles when the init phase has ended, successfully or not. */
  readonly initialised: Promise<void>;
  readonly exited: Promise<void>;

  constructor(
    private readonly fn: LocalFunction,
    env: Record<string, string>,
    taskRoot: string,
    output: FunctionOutput,
    private readonly onRetired: (sandbox: Sandbox) => void,
  ) {
    this.worker = new Worker(WORKER_URL, {
      env,
      workerData: { taskRoot, handler: fn.handler },
      execArgv: workerExecArgv(env),
      stdout: true,
      stderr: true,
    });
    pipeLines(this.worker.stdout, lineWriter(fn, output, 'stdout'));
    pipeLines(this.worker.stderr, lineWriter(fn, output, 'stderr'));
    this.initialised = new Promise((resolve) => {
      this.worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready' || message.type === 'init-error') resolve();
        this.receive(message);
      });
      this.worker.once('exit', () => resolve());
    });
    this.exited = once(this.worker, 'exit').then(() => undefined);
    this.worker.on('error', (error) => {
      this.crash ??= { errorType: error.name, errorMessage: error.message };
    });
    this.worker.once('exit', (code: number) => this.onExit(code));
    this.initTimer = setTimeout(() => this.failInit(timedOut(INIT_LIMIT_MS / 1000)), INIT_LIMIT_MS);
  }

  get accepting(): boolean {
    return this.state !== 'retired';
  }

  invoke(event: string): Promise<InvokeOutcome> {
    return new Promise((resolve) => {
      const pending: PendingInvocation = { awsRequestId: randomUUID(), event, resolve };
      if (this.state === 'ready') this.dispatch(pending);
      else this.waiting.push(pending);
    });
  }

  /** Fails what is still pending with `report` and terminates the worker. */
  async terminate(report: ErrorReport): Promise<void> {
    for (const pending of [...this.waiting, ...this.running.values()]) this.settle(pending, failed(report));
    this.retire();
    await this.worker.terminate();
  }

  private dispatch(pending: PendingInvocation): void {
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    pending.timer = setTimeout(() => {
      this.settle(pending, failed(timedOut(this.fn.timeoutSeconds)));
      this.retire();
    }, timeoutMs);
    this.running.set(pending.awsRequestId, pending);
    this.worker.postMessage({
      type: 'invoke',
      awsRequestId: pending.awsRequestId,
      invokedFunctionArn: this.fn.arn,
      deadlineMs: Date.now() + timeoutMs,
      event: pending.event,
    });
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        clearTimeout(this.initTimer);
        if (this.state === 'init') this.state = 'ready';
        for (const pending of this.waiting.splice(0)) this.dispatch(pending);
        return;
      case 'init-error':
        this.failInit(message);
        return;
      case 'result':
        this.complete(message.awsRequestId, message.payload);
        return;
      case 'error': {
        const pending = this.running.get(message.awsRequestId);
        if (pending) this.settle(pending, failed(message));
        return;
      }
      case 'crash':
        this.crash = { errorType: message.errorType, errorMessage: message.errorMessage };
        return;
    }
  }

  private complete(awsRequestId: string, payload: string): void {
    const pending = this.running.get(awsRequestId);
    if (pending === undefined) return;
    if (Buffer.byteLength(payload) > MAX_RESPONSE_BYTES) {
      this.settle(
        pending,
        failed({
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        }),
      );
      return;
    }
    this.settle(pending, { status: 'ok', result: JSON.parse(payload) });
  }

  /** Lambda reports an init failure on the invocations that waited for it and re-runs init on the next one. */
  private failInit(report: ErrorReport): void {
    clearTimeout(this.initTimer);
    if (this.state !== 'init') return;
    for (const pending of this.waiting.splice(0)) this.settle(pending, failed(report));
    this.retire();
  }

  private settle(pending: PendingInvocation, outcome: InvokeOutcome): void {
    clearTimeout(pending.timer);
    this.running.delete(pending.awsRequestId);
    const index = this.waiting.indexOf(pending);
    if (index >= 0) this.waiting.splice(index, 1);
    pending.resolve(outcome);
    if (this.state === 'retired' && this.running.size === 0) void this.worker.terminate();
  }

  /** Takes no new invocation; ends once the running ones finish (a configuration change, like Lambda's). */
  retireWhenIdle(): void {
    this.retire();
  }

  private retire(): void {
    if (this.state === 'retired') return;
    this.state = 'retired';
    this.onRetired(this);
    if (this.running.size === 0) void this.worker.terminate();
  }

  /** The runtime process ended: what was in flight fails with the crash, or as `Runtime.ExitError`. */
  private onExit(code: number): void {
    clearTimeout(this.initTimer);
    this.retire();
    for (const pending of [...this.waiting, ...this.running.values()]) {
      this.settle(
        pending,
        failed(
          this.crash ?? {
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${pending.awsRequestId} Error: Runtime exited with error: exit status ${code}`,
          },
        ),
      );
    }
  }
}

interface FunctionSlot {
  fn: LocalFunction;
  /** The extracted package, extracted once per runtime. */
  taskRoot?: Promise<string>;
  current?: Sandbox;
  starting?: Promise<Sandbox>;
  sandboxes: Set<Sandbox>;
}

/**
 * Runs packaged functions like Lambda does: one execution environment per function (a worker thread with its own
 * module cache and environment variables), created on the first invocation (a cold start) and reused after, the
 * handler loaded like the Node.js runtime loads it, the function's timeout enforced (`Sandbox.Timedout`, then a
 * fresh environment), and the outcome reported the way the Invoke API reports it (`errorType`, `errorMessage`).
 */
export function createFunctionRuntime(options: FunctionRuntimeOptions): FunctionRuntime {
  const output = options.output ?? 'inherit';
  const arnOf = (fn: LocalFunction) =>
    fn.arn || `arn:aws:lambda:${options.region}:${options.accountId}:function:${fn.name}`;
  const slots = new Map<string, FunctionSlot>(
    options.functions.map((fn) => [
      fn.name,
      { fn: { ...fn, arn: arnOf(fn) }, sandboxes: new Set<Sandbox>() },
    ]),
  );
  let closed = false;

  const slotOf = (functionName: string): FunctionSlot => {
    const slot = slots.get(functionName);
    if (slot === undefined) {
      throw Object.assign(new Error(`Function not found: ${functionName}`), {
        name: 'ResourceNotFoundException',
      });
    }
    return slot;
  };

  const startSandbox = async (slot: FunctionSlot): Promise<Sandbox> => {
    slot.taskRoot ??= extractArtifact(
      join(options.packageDir, slot.fn.artifact),
      join(options.workDir, slot.fn.name),
    );
    const taskRoot = await slot.taskRoot;
    if (closed) throw new Error('The function runtime is closed');
    const env = lambdaEnvironment(slot.fn, {
      region: options.region,
      taskRoot,
      logStreamName: newLogStreamName(),
      environment: options.environment,
    });
    const sandbox = new Sandbox(slot.fn, env, taskRoot, output, (retired) => {
      if (slot.current === retired) slot.current = undefined;
    });
    slot.sandboxes.add(sandbox);
    void sandbox.exited.then(() => slot.sandboxes.delete(sandbox));
    slot.current = sandbox;
    return sandbox;
  };

  const sandboxFor = (slot: FunctionSlot): Promise<Sandbox> => {
    if (slot.current?.accepting) return Promise.resolve(slot.current);
    slot.starting ??= startSandbox(slot).finally(() => {
      slot.starting = undefined;
    });
    return slot.starting;
  };

  const invoke = async (functionName: string, event: unknown): Promise<InvokeOutcome> => {
    if (closed) throw new Error('The function runtime is closed');
    const slot = slotOf(functionName);
    const payload = JSON.stringify(event === undefined ? {} : event);
    for (;;) {
      const sandbox = await sandboxFor(slot);
      // It may have been retired while it started; then the next one takes the invocation.
      if (sandbox.accepting) return sandbox.invoke(payload);
    }
  };

  const warm = async (functionNames = [...slots.keys()]): Promise<void> => {
    await Promise.all(
      functionNames.map(async (name) => {
        const sandbox = await sandboxFor(slotOf(name));
        await sandbox.initialised;
      }),
    );
  };

  if (options.eager) {
    // An init or extraction failure surfaces again on the first invocation, as it does in Lambda.
    warm().catch(() => undefined);
  }

  return {
    invoker(functionName) {
      slotOf(functionName);
      return (event) => invoke(functionName, event);
    },
    invoke,
    warm,
    updateEnvironment(functionName, variables) {
      const slot = slotOf(functionName);
      const environment = { ...slot.fn.environment };
      for (const [name, value] of Object.entries(variables)) {
        if (value === undefined) delete environment[name];
        else environment[name] = value;
      }
      slot.fn = { ...slot.fn, environment };
      slot.current?.retireWhenIdle();
    },
    async close() {
      closed = true;
      const sandboxes = [...slots.values()].flatMap((slot) => [...slot.sandboxes]);
      await Promise.all(
        sandboxes.map((sandbox) =>
          sandbox.terminate({
            errorType: 'Runtime.ExitError',
            errorMessage: 'Error: Runtime exited: the local function runtime was closed',
          }),
        ),
      );
    },
  };
}
