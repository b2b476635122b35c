import { join } from 'node:path';
import type { LocalFunction } from '../template/model.js';
import { extractArtifact } from './artifacts.js';
import {
  ExecutionEnvironment,
  type FunctionOutput,
  lambdaEnvironment,
  newLogStreamName,
} from './execution-environment.js';
import type { Invoke, InvokeOutcome } from './types.js';

export { type FunctionOutput, lambdaEnvironment } from './execution-environment.js';

/** Environments per function when neither the function's reserved concurrency nor the caller says otherwise. */
export const DEFAULT_FUNCTION_CONCURRENCY = 10;
/** How long an idle environment is kept warm before it is shut down. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

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
  /** Start one environment of every function at once instead of on its first invocation. */
  eager?: boolean;
  /**
   * Execution environments per function at most (default 10): the local stand-in for the account's concurrency.
   * A function's `ReservedConcurrentExecutions` lowers it for that function.
   */
  concurrency?: number;
  /** An environment idle for this long is shut down; the next invocation past the warm ones is a cold start. */
  idleTimeoutMs?: number;
  /** The runtime's own lines: cold starts, replaced environments. */
  log?: (line: string) => void;
}

/** What one function's environments are doing right now. */
export interface FunctionConcurrency {
  /** Environments that exist (starting, busy or idle). */
  environments: number;
  busy: number;
  /** Invocations waiting for an environment: the function is at its concurrency limit. */
  waiting: number;
  /** The most environments it may have. */
  limit: number;
  /** Cold starts so far. */
  coldStarts: number;
}

export interface FunctionRuntime {
  invoker(functionName: string): Invoke;
  invoke(functionName: string, event: unknown): Promise<InvokeOutcome>;
  /** The most environments the function may have at once: how many invocations can run in parallel. */
  concurrencyLimit(functionName: string): number;
  concurrency(functionName: string): FunctionConcurrency;
  /** Cold-starts one environment of each named function (all by default) and waits until its init has ended. */
  warm(functionNames?: string[]): Promise<void>;
  /**
   * Changes a function's environment like Lambda's UpdateFunctionConfiguration: running environments finish
   * their invocation, and every later invocation runs in an environment cold-started with the new variables
   * (`undefined` removes one).
   */
  updateEnvironment(functionName: string, variables: Record<string, string | undefined>): void;
  /**
   * Replaces a function's whole `Environment.Variables` (Lambda's UpdateFunctionConfiguration with `Environment`):
   * idle environments are retired at once, busy ones after their invocation, so every invocation that starts
   * afterwards runs in an environment cold-started with exactly these variables.
   */
  replaceEnvironment(functionName: string, variables: Readonly<Record<string, string>>): void;
  /** The function as it is configured now (its `environment` as the last update left it). */
  configuration(functionName: string): LocalFunction;
  /** Terminates every environment; invocations still running end as `Runtime.ExitError`. */
  close(): Promise<void>;
}

/** Thrown for an invocation of a function whose reserved concurrency is 0, as Lambda throttles it. */
export class FunctionThrottledError extends Error {
  override readonly name = 'TooManyRequestsException';
}

interface Waiter {
  resolve(environment: ExecutionEnvironment): void;
  reject(error: unknown): void;
}

interface PoolSettings {
  options: FunctionRuntimeOptions;
  output: FunctionOutput;
  idleTimeoutMs: number;
  log: (line: string) => void;
  isClosed(): boolean;
}

/**
 * The execution environments of one function, scheduled as Lambda schedules them: an invocation takes an idle
 * environment (the most recently used, so fewer stay warm); when none is idle a new one cold-starts, up to the
 * function's limit; past the limit, invocations wait in arrival order for the next environment to come free. An
 * environment never runs two invocations at once, and one that timed out or crashed is replaced, not reused.
 */
class FunctionPool {
  private readonly environments = new Set<ExecutionEnvironment>();
  /** Free environments, the most recently used last. */
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly idleTimers = new Map<ExecutionEnvironment, NodeJS.Timeout>();
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  private taskRoot: Promise<string> | undefined;
  coldStarts = 0;

  constructor(
    public fn: LocalFunction,
    readonly limit: number,
    private readonly settings: PoolSettings,
  ) {}

  async invoke(payload: string): Promise<InvokeOutcome> {
    if (this.limit === 0) {
      throw new FunctionThrottledError(`Rate Exceeded: ${this.fn.name} has a reserved concurrency of 0`);
    }
    const environment = await this.acquire();
    try {
      return await environment.invoke(payload);
    } finally {
      this.release(environment);
    }
  }

  /** Starts an environment (a cold start, if none is idle) and waits for its init phase. */
  async warm(): Promise<void> {
    const environment = await this.acquire();
    await environment.initialised;
    this.release(environment);
  }

  stats(): FunctionConcurrency {
    return {
      environments: this.environments.size + this.starting,
      busy: this.environments.size + this.starting - this.idle.length,
      waiting: this.waiters.length,
      limit: this.limit,
      coldStarts: this.coldStarts,
    };
  }

  /** Every environment now running finishes what it runs and takes nothing more. */
  retireAll(): void {
    for (const environment of [...this.environments]) environment.retire();
  }

  async close(report: { errorType: string; errorMessage: string }): Promise<void> {
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('The function runtime is closed'));
    await Promise.all([...this.environments].map((environment) => environment.terminate(report)));
  }

  private acquire(): Promise<ExecutionEnvironment> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  private release(environment: ExecutionEnvironment): void {
    if (environment.accepting && !this.settings.isClosed()) {
      this.idle.push(environment);
      const timer = setTimeout(() => environment.retire(), this.settings.idleTimeoutMs);
      timer.unref();
      this.idleTimers.set(environment, timer);
    }
    this.pump();
  }

  /** Hands idle or new environments to the waiting invocations, oldest first, within the limit. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const idle = this.takeIdle();
      if (idle !== undefined) {
        this.waiters.shift()?.resolve(idle);
        continue;
      }
      if (this.environments.size + this.starting >= this.limit) return;
      const waiter = this.waiters.shift();
      if (waiter === undefined) return;
      this.starting += 1;
      this.start().then(
        (environment) => {
          this.starting -= 1;
          waiter.resolve(environment);
        },
        (error: unknown) => {
          this.starting -= 1;
          waiter.reject(error);
          this.pump();
        },
      );
    }
  }

  private takeIdle(): ExecutionEnvironment | undefined {
    for (let environment = this.idle.pop(); environment !== undefined; environment = this.idle.pop()) {
      clearTimeout(this.idleTimers.get(environment));
      this.idleTimers.delete(environment);
      if (environment.accepting) return environment;
    }
    return undefined;
  }

  /** A cold start: extract the package (once per runtime), start a worker, log it when its init has ended. */
  private async start(): Promise<ExecutionEnvironment> {
    const { options, output, log } = this.settings;
    this.taskRoot ??= extractArtifact(
      join(options.packageDir, this.fn.artifact),
      join(options.workDir, this.fn.name),
    );
    const taskRoot = await this.taskRoot;
    if (this.settings.isClosed()) throw new Error('The function runtime is closed');
    const env = lambdaEnvironment(this.fn, {
      region: options.region,
      taskRoot,
      logStreamName: newLogStreamName(),
      environment: options.environment,
    });
    const environment = new ExecutionEnvironment({
      fn: this.fn,
      env,
      taskRoot,
      output,
      onRetired: (retired) => this.forget(retired),
    });
    this.environments.add(environment);
    this.coldStarts += 1;
    const number = this.environments.size;
    void environment.initialised.then(() => {
      const duration = environment.initDurationMs?.toFixed(0) ?? '?';
      log(`${this.fn.name}: cold start, environment ${number} of ${this.limit} (init ${duration} ms)`);
    });
    return environment;
  }

  /** A retired environment leaves the pool; an invocation waiting for room may start a new one. */
  private forget(environment: ExecutionEnvironment): void {
    this.environments.delete(environment);
    const index = this.idle.indexOf(environment);
    if (index >= 0) this.idle.splice(index, 1);
    clearTimeout(this.idleTimers.get(environment));
    this.idleTimers.delete(environment);
    queueMicrotask(() => this.pump());
  }
}

/**
 * Runs packaged functions with Lambda's execution model: each function has a pool of execution environments (a
 * worker thread each, with its own module cache and environment variables); an environment runs one invocation at
 * a time, so a function scales by cold-starting more of them, up to its concurrency limit, and past the limit
 * invocations wait their turn. The handler is loaded as the Node.js runtime loads it, the timeout is enforced
 * (`Sandbox.Timedout`, then the environment is replaced), and the outcome is reported as the Invoke API reports
 * it (`errorType`, `errorMessage`).
 */
export function createFunctionRuntime(options: FunctionRuntimeOptions): FunctionRuntime {
  const defaultLimit = Math.max(1, options.concurrency ?? DEFAULT_FUNCTION_CONCURRENCY);
  const arnOf = (fn: LocalFunction) =>
    fn.arn || `arn:aws:lambda:${options.region}:${options.accountId}:function:${fn.name}`;
  let closed = false;
  const settings: PoolSettings = {
    options,
    output: options.output ?? 'inherit',
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    log: options.log ?? ((line) => console.error(line)),
    isClosed: () => closed,
  };
  const pools = new Map<string, FunctionPool>(
    options.functions.map((fn) => [
      fn.name,
      new FunctionPool(
        { ...fn, arn: arnOf(fn) },
        Math.min(fn.reservedConcurrency ?? defaultLimit, defaultLimit),
        settings,
      ),
    ]),
  );

  const poolOf = (functionName: string): FunctionPool => {
    const pool = pools.get(functionName);
    if (pool === undefined) {
      throw Object.assign(new Error(`Function not found: ${functionName}`), {
        name: 'ResourceNotFoundException',
      });
    }
    return pool;
  };

  const invoke = async (functionName: string, event: unknown): Promise<InvokeOutcome> => {
    if (closed) throw new Error('The function runtime is closed');
    return poolOf(functionName).invoke(JSON.stringify(event === undefined ? {} : event));
  };

  const warm = async (functionNames = [...pools.keys()]): Promise<void> => {
    await Promise.all(functionNames.map((name) => poolOf(name).warm()));
  };

  if (options.eager) {
    // An init or extraction failure surfaces again on the first invocation, as it does in Lambda.
    warm().catch(() => undefined);
  }

  return {
    invoker(functionName) {
      poolOf(functionName);
      return (event) => invoke(functionName, event);
    },
    invoke,
    concurrencyLimit: (functionName) => poolOf(functionName).limit,
    concurrency: (functionName) => poolOf(functionName).stats(),
    warm,
    updateEnvironment(functionName, variables) {
      const pool = poolOf(functionName);
      const environment = { ...pool.fn.environment };
      for (const [name, value] of Object.entries(variables)) {
        if (value === undefined) delete environment[name];
        else environment[name] = value;
      }
      pool.fn = { ...pool.fn, environment };
      pool.retireAll();
    },
    replaceEnvironment(functionName, variables) {
      const pool = poolOf(functionName);
      pool.fn = { ...pool.fn, environment: { ...variables } };
      pool.retireAll();
    },
    configuration(functionName) {
      const { fn } = poolOf(functionName);
      return { ...fn, environment: { ...fn.environment } };
    },
    async close() {
      closed = true;
      await Promise.all(
        [...pools.values()].map((pool) =>
          pool.close({
            errorType: 'Runtime.ExitError',
            errorMessage: 'Error: Runtime exited: the local function runtime was closed',
          }),
        ),
      );
    },
  };
}
