import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from '../template/model.js';
import type { InvokeOutcome } from './types.js';

/** Where the functions' console output goes: prefixed to this process's stdout/stderr, nowhere, or a callback. */
export type FunctionOutput = 'inherit' | 'silent' | ((functionName: string, line: string) => void);

export type ErrorReport = { errorType: string; errorMessage: string };

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
export function newLogStreamName(now = new Date()): string {
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

type WorkerMessage =
  | { type: 'ready' }
  | ({ type: 'init-error' } & ErrorReport)
  | { type: 'result'; awsRequestId: string; payload: string }
  | ({ type: 'error'; awsRequestId: string } & ErrorReport)
  | ({ type: 'crash' } & ErrorReport);

interface RunningInvocation {
  awsRequestId: string;
  resolve(outcome: InvokeOutcome): void;
  timer: NodeJS.Timeout;
}

export const failed = ({ errorType, errorMessage }: ErrorReport): InvokeOutcome => ({
  status: 'error',
  errorType,
  errorMessage,
});

const timedOut = (seconds: number): ErrorReport => ({
  errorType: 'Sandbox.Timedout',
  errorMessage: `Task timed out after ${seconds.toFixed(2)} seconds`,
});

export interface ExecutionEnvironmentOptions {
  fn: LocalFunction;
  /** The complete environment variables (see `lambdaEnvironment`). */
  env: Record<string, string>;
  taskRoot: string;
  output: FunctionOutput;
  /** Called once, when the environment stops taking invocations (timeout, crash, init failure, update, idle). */
  onRetired(environment: ExecutionEnvironment): void;
}

/**
 * One execution environment of a function, as Lambda has them: a worker thread with its own module cache and
 * environment variables that runs **one invocation at a time** — module-level state (a batch processor, a logger's
 * keys, a cache) is never shared by two invocations. The init phase runs once, when the environment starts (a
 * cold start). It is retired for good after a timeout, a crash or a failed init; then the worker is terminated
 * and the function's next invocation needs another environment.
 */
export class ExecutionEnvironment {
  private state: 'init' | 'ready' | 'retired' = 'init';
  private running: RunningInvocation | undefined;
  /** From the moment an invocation is handed over (it may still wait for init) until it has settled. */
  private inUse = false;
  /** The worker has ended (crashed, exited, terminated): nothing can run in it any more. */
  private workerEnded = false;
  private initFailure: ErrorReport | undefined;
  private crash: ErrorReport | undefined;
  private readonly initTimer: NodeJS.Timeout;
  private readonly worker: Worker;
  private readonly startedAt = performance.now();
  /** How long the init phase took (ms), once it has ended. */
  initDurationMs: number | undefined;
  /** Settles when the init phase has ended, successfully or not. */
  readonly initialised: Promise<void>;
  readonly exited: Promise<void>;

  constructor(private readonly options: ExecutionEnvironmentOptions) {
    const { fn, env, taskRoot, output } = options;
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

  /** Whether it may take another invocation (it is not retired). */
  get accepting(): boolean {
    return this.state !== 'retired';
  }

  /**
   * Runs one invocation, after the init phase. The caller (the function's pool) never hands a busy environment a
   * second invocation; asking anyway is a bug, and fails loudly.
   */
  async invoke(event: string): Promise<InvokeOutcome> {
    if (this.inUse) {
      throw new Error(`${this.options.fn.name}: an execution environment runs one invocation at a time`);
    }
    this.inUse = true;
    try {
      await this.initialised;
      if (this.initFailure !== undefined) return failed(this.initFailure);
      // Retired while this invocation waited for init (a configuration update): it still runs here, as Lambda
      // lets an environment finish what it was handed; only an ended worker cannot run it.
      if (this.workerEnded) return failed(this.crash ?? exitError(randomUUID(), 0));
      return await new Promise<InvokeOutcome>((resolve) => this.dispatch(event, resolve));
    } finally {
      this.inUse = false;
      if (this.state === 'retired' && this.running === undefined) void this.worker.terminate();
    }
  }

  /**
   * Takes no new invocation; the worker ends once the invocation it was handed (if any, even one still waiting for
   * init) has finished.
   */
  retire(): void {
    if (this.state === 'retired') return;
    this.state = 'retired';
    this.options.onRetired(this);
    if (this.running === undefined && !this.inUse) void this.worker.terminate();
  }

  /** Fails what is running with `report` and terminates the worker. */
  async terminate(report: ErrorReport): Promise<void> {
    if (this.running !== undefined) this.settle(failed(report));
    this.retire();
    await this.worker.terminate();
  }

  private dispatch(event: string, resolve: (outcome: InvokeOutcome) => void): void {
    const { fn } = this.options;
    const timeoutMs = fn.timeoutSeconds * 1000;
    const awsRequestId = randomUUID();
    const timer = setTimeout(() => {
      this.settle(failed(timedOut(fn.timeoutSeconds)));
      this.retire();
    }, timeoutMs);
    this.running = { awsRequestId, resolve, timer };
    this.worker.postMessage({
      type: 'invoke',
      awsRequestId,
      invokedFunctionArn: fn.arn,
      deadlineMs: Date.now() + timeoutMs,
      event,
    });
  }

  private receive(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.endInit();
        if (this.state === 'init') this.state = 'ready';
        return;
      case 'init-error':
        this.failInit(message);
        return;
      case 'result':
        if (this.running?.awsRequestId === message.awsRequestId) this.complete(message.payload);
        return;
      case 'error':
        if (this.running?.awsRequestId === message.awsRequestId) this.settle(failed(message));
        return;
      case 'crash':
        this.crash = { errorType: message.errorType, errorMessage: message.errorMessage };
        return;
    }
  }

  private complete(payload: string): void {
    if (Buffer.byteLength(payload) > MAX_RESPONSE_BYTES) {
      this.settle(
        failed({
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        }),
      );
      return;
    }
    this.settle({ status: 'ok', result: JSON.parse(payload) });
  }

  private endInit(): void {
    clearTimeout(this.initTimer);
    this.initDurationMs ??= performance.now() - this.startedAt;
  }

  /** Lambda reports an init failure on the invocation that waited for it and re-runs init in a new environment. */
  private failInit(report: ErrorReport): void {
    this.endInit();
    if (this.state !== 'init') return;
    this.initFailure = report;
    this.retire();
  }

  private settle(outcome: InvokeOutcome): void {
    const running = this.running;
    if (running === undefined) return;
    clearTimeout(running.timer);
    this.running = undefined;
    if (this.state === 'retired') void this.worker.terminate();
    running.resolve(outcome);
  }

  /** The runtime process ended: what was in flight fails with the crash, or as `Runtime.ExitError`. */
  private onExit(code: number): void {
    this.workerEnded = true;
    this.endInit();
    this.retire();
    if (this.running !== undefined)
      this.settle(failed(this.crash ?? exitError(this.running.awsRequestId, code)));
  }
}

function exitError(awsRequestId: string, code: number): ErrorReport {
  return {
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${awsRequestId} Error: Runtime exited with error: exit status ${code}`,
  };
}
