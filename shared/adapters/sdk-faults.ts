import { createFaultDice, type FaultDice } from '../faults/fault-dice.js';
import {
  type FaultKind,
  type FunctionFaults,
  readFunctionFaults,
  type SdkService,
} from '../faults/fault-plan.js';
import { faultReporter, type ReportFault } from '../faults/fault-reports.js';

/**
 * The fault injector at the adapter boundary: AWS SDK v3 middleware on the clients the adapters build, for chaos
 * runs of the local cloud only. It is added only when `ORDERFLOW_CHAOS` is set — read once, at cold start; every
 * deployed stage leaves it unset (serverless.yml never sets it, test/infra checks the template), and nothing in a
 * request or an event can set it.
 *
 * It sits at the `initialize` step, outside the SDK's own retries: a fault it injects is what an adapter sees once
 * the SDK has given up, the case the adapters must handle. Three transient errors, as likely each:
 * - throttling, before the request is sent (nothing happened);
 * - a 5xx, before the request is sent (nothing happened);
 * - a timeout *after* the service did the work: the answer is lost, the write is made — the ambiguous failure.
 * And in a consumer, a crash right after a successful write: the environment exits as Lambda's runtime does
 * (`Runtime.ExitError`), in the middle of its batch, with some of its writes made and others not.
 */

/** Operations that change something: a crash after one of them leaves a batch half done. */
const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'Publish',
  'PublishBatch',
  'SendMessage',
  'SendMessageBatch',
  'DeleteMessage',
  'DeleteMessageBatch',
  'PutRecord',
  'PutRecords',
]);

/** The error names each service uses for throttling and for a failure on its side. */
const ERROR_NAMES: Record<SdkService, { throttling: string; server: string }> = {
  dynamodb: { throttling: 'ThrottlingException', server: 'InternalServerError' },
  sns: { throttling: 'ThrottledException', server: 'InternalErrorException' },
  sqs: { throttling: 'RequestThrottled', server: 'InternalError' },
  kinesis: { throttling: 'ProvisionedThroughputExceededException', server: 'InternalFailure' },
  'iot-data': { throttling: 'ThrottlingException', server: 'InternalFailureException' },
  lambda: { throttling: 'TooManyRequestsException', server: 'ServiceException' },
};

const TRANSIENT_KINDS: readonly [FaultKind, ...FaultKind[]] = [
  'sdk-throttling',
  'sdk-server-error',
  'sdk-timeout',
];

/** An error as the SDK raises it for a service's answer (`$metadata`, `$fault`, `$retryable`). */
export class InjectedSdkError extends Error {
  readonly $metadata: { httpStatusCode?: number; attempts: number };
  readonly $fault: 'client' | 'server';
  readonly $retryable?: { throttling: boolean };

  constructor(name: string, message: string, status: number | undefined, throttling: boolean) {
    super(`${message} (injected by the chaos run: ORDERFLOW_CHAOS)`);
    this.name = name;
    this.$metadata = { attempts: 1, ...(status === undefined ? {} : { httpStatusCode: status }) };
    this.$fault = status !== undefined && status < 500 ? 'client' : 'server';
    if (throttling) this.$retryable = { throttling: true };
  }
}

function injectedError(kind: FaultKind, service: SdkService, operation: string): InjectedSdkError {
  const names = ERROR_NAMES[service];
  switch (kind) {
    case 'sdk-throttling':
      return new InjectedSdkError(names.throttling, `Rate exceeded for ${operation}`, 400, true);
    case 'sdk-server-error':
      return new InjectedSdkError(names.server, `${service} failed to process ${operation}`, 500, false);
    default:
      // What @smithy/node-http-handler throws when the socket stays silent: no status, the request was sent.
      return new InjectedSdkError(
        'TimeoutError',
        `${operation}: the request socket timed out`,
        undefined,
        false,
      );
  }
}

export interface SdkFaultInjection {
  service: SdkService;
  faults: FunctionFaults;
  /** Where the faults strike, for the count: the function's name. */
  site: string;
  dice: FaultDice;
  report: ReportFault;
  /** How a crash ends the environment. Default: `process.exit(1)`, which Lambda reports as `Runtime.ExitError`. */
  crash?: () => void;
}

type Handler = (args: unknown) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
interface MiddlewareStackLike {
  add(middleware: Middleware, options: { step: 'initialize'; name: string; priority: 'high' }): void;
}

/** Adds the fault middleware to a client (and so to a document client made from it, which shares its stack). */
export function injectSdkFaults<C extends { middlewareStack: unknown }>(
  client: C,
  injection: SdkFaultInjection,
): C {
  const { service, faults, site, dice, report } = injection;
  const crash = injection.crash ?? (() => process.exit(1));
  const errorRate = faults.sdkErrorRate[service] ?? 0;
  const middleware: Middleware = (next, context) => async (args) => {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const target = `${service} ${operation}`;
    if (dice.roll(errorRate)) {
      const kind = dice.choose(TRANSIENT_KINDS);
      report({ kind, site, target });
      if (kind === 'sdk-timeout') await next(args);
      throw injectedError(kind, service, operation);
    }
    const result = await next(args);
    if (WRITE_OPERATIONS.has(operation) && dice.roll(faults.crashAfterWriteRate)) {
      report({ kind: 'function-crash', site, target });
      crash();
    }
    return result;
  };
  (client.middlewareStack as MiddlewareStackLike).add(middleware, {
    step: 'initialize',
    name: 'orderflowInjectedFaults',
    priority: 'high',
  });
  return client;
}

/** Read once per execution environment: the same faults (and one stream of draws) for every client it builds. */
let fromEnv:
  | { faults: FunctionFaults; dice: FaultDice; report: ReportFault; site: string }
  | undefined
  | null = null;

/**
 * The client as it is, unless this environment was given `ORDERFLOW_CHAOS`: then with the fault middleware. Every
 * client of an environment draws from one stream, seeded by the plan's seed and the function's name.
 */
export function withInjectedFaults<C extends { middlewareStack: unknown }>(
  client: C,
  service: SdkService,
): C {
  if (fromEnv === null) {
    const faults = readFunctionFaults();
    const site = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown-function';
    fromEnv =
      faults === undefined
        ? undefined
        : { faults, site, dice: createFaultDice(faults.seed, `sdk:${site}`), report: faultReporter() };
  }
  if (fromEnv === undefined) return client;
  return injectSdkFaults(client, { service, ...fromEnv });
}
