import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { brokerUrlOf } from '../shared/adapters/legacy-broker.js';
import { type FaultPlan, FUNCTION_FAULTS_VARIABLE } from '../shared/faults/fault-plan.js';
import { signLocalToken } from './auth/local-token.js';
import { type LocalSigningKey, loadOrCreateSigningKey } from './auth/signing-key.js';
import { createLocalClients, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, type LocalClients } from './aws-clients.js';
import { type CloudFaults, createCloudFaults } from './chaos/cloud-faults.js';
import { createDashboardSite, DASHBOARD_PATH } from './dashboard/dashboard-site.js';
import { type Emulators, startEmulators } from './emulators.js';
import { startHttpApi } from './http-api/http-api-server.js';
import { startRulesEngine } from './iot/rules-engine.js';
import { defaultPorts, ENDPOINT_VARIABLES, type LocalCloudPorts } from './listen-ports.js';
import { openFunctionLog } from './logs/function-log.js';
import { readableLine } from './logs/readable-line.js';
import {
  createPipelineCounters,
  createStreamCounter,
  queuesOfStack,
  readPipelineStatus,
} from './pipeline-status.js';
import {
  deadLettersOf,
  type MonitoredSource,
  startEventSourceMonitor,
} from './pollers/event-source-monitor.js';
import { startKinesisPoller } from './pollers/kinesis-poller.js';
import { startRabbitMqPoller } from './pollers/rabbitmq-poller.js';
import { startSqsPoller } from './pollers/sqs-poller.js';
import { freePort } from './rabbitmq.js';
import { createAsyncInvoker } from './runtime/async-invoke.js';
import {
  createFunctionRuntime,
  DEFAULT_FUNCTION_CONCURRENCY,
  type FunctionOutput,
  type FunctionRuntime,
} from './runtime/function-runtime.js';
import { type FunctionConfigurations, startLambdaApi } from './runtime/lambda-api.js';
import { startSecretsManagerShim } from './secrets/secrets-manager-shim.js';
import { type StackBrokers, startStackBrokers } from './stack-brokers.js';
import type { LocalSecret, ProvisionedStack } from './template/model.js';
import { loadPackagedStack, type PackagedStack, theJwtAuthorizer } from './template/packaged-stack.js';
import { provisionStack } from './template/provision.js';

export interface LocalCloudOptions {
  /** The output of `serverless package --stage local --package <dir>`. */
  packageDir: string;
  /** Ports to use instead of the defaults; 0 = any free port. */
  ports?: Partial<LocalCloudPorts>;
  /**
   * Handler console output: printed with a `[function]` prefix (metrics as one readable line per metric set),
   * discarded (tests), or handed to a callback.
   */
  functionOutput?: FunctionOutput;
  /** Also keep every line the functions print in this file, for `npm run trace` (`npm start`: `FUNCTION_LOG_FILE`). */
  functionLogFile?: string;
  /** The local cloud's own messages (provisioning warnings, poller errors). */
  log?: (line: string) => void;
  /**
   * Extra environment for some functions, by their name in serverless.yml (`{ processOrder: { ... } }`): how tests
   * turn on test-only switches such as `ORDERFLOW_FAULT_CUSTOMER_ID`. Nothing else sets it.
   */
  functionEnvironment?: Record<string, Record<string, string>>;
  /**
   * Caps every queue's visibility timeout, so that a test sees a message through `maxReceiveCount` receives to its
   * DLQ in seconds instead of minutes. Unset: the template's timeouts, as deployed.
   */
  maxVisibilityTimeoutSeconds?: number;
  /**
   * Execution environments per function at most (default 10, or `ORDERFLOW_FUNCTION_CONCURRENCY`): the local
   * stand-in for the account's concurrency. A function's reserved concurrency lowers it.
   */
  functionConcurrency?: number;
  /** Event source status lines every this many ms while records fail or are retried (default 5 s; 0: never). */
  statusIntervalMs?: number;
  /** Print the status lines of every interval with deliveries, not only while records fail (`npm start -- --status`). */
  alwaysShowStatus?: boolean;
  /**
   * The key the HTTP API's JWT authorizer trusts and `issueToken` signs with. Default: the checkout's key in
   * `.local-cloud/` (made on first use), the one `npm run token` signs with.
   */
  signingKey?: LocalSigningKey;
  /**
   * A chaos run's faults (`npm run chaos`, its end-to-end test): given to the functions as `ORDERFLOW_CHAOS`,
   * applied by the SQS pollers and by SNS's deliveries to its queues, until `turnOffFaults`. Unset: none.
   */
  faults?: FaultPlan;
  /**
   * Whether to run the stack's RabbitMQ broker (the ERP bridge) when RabbitMQ is installed: `npm start` does; tests
   * that do not exercise the bridge leave it off (it takes about 8 s to start). Off, or not installed: the bridge's
   * mapping does not poll, and everything else runs.
   */
  legacyBroker?: boolean;
  /**
   * The waits before Lambda's retries of a failed asynchronous invocation (an IoT rule's Lambda action): default
   * Lambda's 1 and 2 minutes; tests shorten them.
   */
  asyncRetryDelaysMs?: readonly number[];
}

/** Who a token is for: `sub` is the customer; `orders/admin` among the scopes may read any order. */
export interface TokenRequest {
  sub: string;
  scopes?: readonly string[];
}

export interface LocalCloudEndpoints {
  http: string;
  mqtt: string;
  mqttWs: string;
  sqsSns: string;
  dynamodb: string;
  kinesis: string;
  iotData: string;
  /** The Lambda Invoke API of the stack's functions. */
  lambda: string;
  secretsManager: string;
  /** The legacy broker (`amqp://127.0.0.1:<port>`, no user), when it runs. */
  amqp?: string;
}

export interface LocalCloud {
  endpoints: LocalCloudEndpoints;
  region: string;
  /** The package it runs, as read once at start: template, names, functions, queues, dead-letter queues. */
  packaged: PackagedStack;
  stack: ProvisionedStack;
  /** SDK clients pointed at the emulators, for tests and tools. */
  clients: LocalClients;
  /** Execution environments per function at most (a reserved concurrency may lower it for one function). */
  functionConcurrency: number;
  /**
   * Changes the environment of a function (by its serverless.yml name) from its next cold start, as a
   * configuration update does on AWS — how a test turns a test-only switch off again.
   */
  setFunctionEnvironment(name: string, variables: Record<string, string | undefined>): void;
  /** A token the HTTP API accepts (the template's issuer and audience, the cloud's key), valid for an hour. */
  issueToken(request: TokenRequest): Promise<string>;
  /**
   * Ends the faults of `options.faults`: the functions' with their environment (from their next cold start, as
   * `setFunctionEnvironment`), the pollers' and SNS's at once. SNS deliveries it was retrying still arrive.
   */
  turnOffFaults(): void;
  /** SNS → SQS deliveries a chaos run's SNS still owes (being retried, or waiting behind one): 0 without faults. */
  pendingSnsDeliveries(): number;
  /** HTTP requests each emulator has served since the start (the local cloud's own included). */
  emulatorRequests(): EmulatorRequests;
  /** How many messages fired each IoT topic rule since the start, by rule name. */
  topicRulesFired(): Record<string, number>;
  /**
   * The legacy broker's URL with its user (the template's secret), as the ERP connects: `undefined` when it does
   * not run (`legacyBroker` off, or RabbitMQ not installed).
   */
  legacyBrokerUrl?: string;
  stop(): Promise<void>;
}

export interface EmulatorRequests {
  /** fauxqs: SNS and SQS */
  sqsSns: number;
  dynamodb: number;
  kinesis: number;
  iotData: number;
}

/**
 * Starts the whole pipeline on 127.0.0.1: the emulators, provisioned from the packaged CloudFormation template;
 * every function in a worker of its own with the environment its template entry gives it (endpoints pointed
 * here); the HTTP API routes; and a poller per event source mapping.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const log = options.log ?? ((line: string) => console.log(line));
  const packaged = await loadPackagedStack(options.packageDir);
  const { template, region, stackName } = packaged;
  const ports = { ...defaultPorts(packaged.functions), ...options.ports };
  const signingKey = options.signingKey ?? (await loadOrCreateSigningKey());
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch((error) => log(`local cloud: ${error}`));
  };

  try {
    const faults: CloudFaults | undefined =
      options.faults === undefined ? undefined : await createCloudFaults(options.faults, { log });
    const counters = createPipelineCounters();
    const emulators = await startEmulators(ports, region, {
      sqsSnsStores: faults?.snsDelivery.stores,
      onSqsSnsRequest: (body, target) => counters.snsRequest(body, target),
    });
    emulators.mqtt.broker.on('publish', (packet) => counters.mqttPublished(packet.topic));
    stoppers.push(() => emulators.close());
    const clients = createLocalClients(endpointsOf(emulators), region);
    stoppers.push(async () => clients.destroy());

    const amqpPort = ports.amqp === 0 ? await freePort() : ports.amqp;
    const stack = await provisionStack(template, {
      clients,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      stackName,
      log,
      amqpPort,
    });
    for (const warning of stack.warnings) log(warning);
    if (options.maxVisibilityTimeoutSeconds !== undefined) {
      await capVisibilityTimeouts(clients, stack, options.maxVisibilityTimeoutSeconds);
    }

    const secretsManager = await startSecretsManagerShim({
      port: ports.secretsManager,
      lookup: (secretId) => secretNamed(stack.secrets, secretId),
    });
    stoppers.push(() => secretsManager.close());
    const brokers: StackBrokers = await startStackBrokers(stack, {
      start: options.legacyBroker ?? true,
      log,
    });
    stoppers.push(() => brokers.stop());
    const endpoints = { ...endpointsOf(emulators), secretsManager: secretsManager.url };

    const workDir = await mkdtemp(join(tmpdir(), 'orderflow-functions-'));
    stoppers.push(() => rm(workDir, { recursive: true, force: true }));
    const runtime = createFunctionRuntime({
      packageDir: packaged.directory,
      workDir,
      functions: stack.functions.map((fn) => ({
        ...fn,
        environment: {
          ...fn.environment,
          ...localEnvironment(endpoints),
          ...faults?.functionEnvironment({
            consumer: stack.eventSources.some((source) => source.functionName === fn.name),
          }),
          ...brokerEnvironment(fn.environment, stack),
          ...extraEnvironment(fn.name, options.functionEnvironment),
        },
      })),
      environment: localEnvironment(endpoints),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      output: functionOutputOf(options, stoppers),
      concurrency: options.functionConcurrency ?? functionConcurrencyFromEnv(),
      log,
    });
    stoppers.push(() => runtime.close());

    const asyncInvoker = createAsyncInvoker({
      invoke: (functionName, event) => runtime.invoke(functionName, event),
      configs: stack.asyncInvokeConfigs,
      functionArns: new Map(stack.functions.map((fn) => [fn.name, fn.arn])),
      sqs: clients.sqs,
      retryDelaysMs: options.asyncRetryDelaysMs,
      log,
    });
    stoppers.push(async () => asyncInvoker.stop());
    let rulesEngine: ReturnType<typeof startRulesEngine> | undefined;
    if (stack.topicRules.length > 0) {
      rulesEngine = startRulesEngine({
        broker: emulators.mqtt.broker,
        rules: stack.topicRules,
        invokeAsync: (functionName, event) => asyncInvoker.invokeAsync(functionName, event),
        sqs: clients.sqs,
        log,
      });
      const started = rulesEngine;
      stoppers.push(async () => started.stop());
    }

    const pollerSqs =
      faults?.pollerSqsClient({
        region,
        credentials: LOCAL_CREDENTIALS,
        maxAttempts: 2,
        endpoint: emulators.sqsSns.endpoint,
        useQueueUrlAsEndpoint: false,
      }) ?? clients.sqs;
    if (pollerSqs !== clients.sqs) stoppers.push(async () => pollerSqs.destroy());
    const monitored: MonitoredSource[] = [];
    for (const source of stack.eventSources) {
      if (!source.enabled) continue;
      const invoke = runtime.invoker(source.functionName);
      if (source.kind === 'rabbitmq') {
        if (!brokers.running) {
          log(
            `local cloud: ${source.queue} → ${source.functionName} does not poll: the broker is not running`,
          );
          continue;
        }
        const broker = brokers.brokers.get(source.brokerLogicalId);
        const secret = secretNamed(stack.secrets, source.secretArn);
        if (broker === undefined || secret === undefined) continue;
        // As Lambda does: the mapping signs in with the user of its BASIC_AUTH secret.
        const poller = await startRabbitMqPoller({
          source,
          url: brokerUrlOf(`amqp://127.0.0.1:${broker.port}`, readCredentials(secret)),
          invoke,
          log,
        });
        stoppers.push(() => poller.stop());
        monitored.push({
          label: `${source.queue} → ${source.functionName}`,
          stats: () => poller.stats(),
        });
        continue;
      }
      const poller =
        source.kind === 'sqs'
          ? startSqsPoller({
              source,
              sqs: pollerSqs,
              invoke,
              region,
              log,
              concurrency: Math.min(
                runtime.concurrencyLimit(source.functionName),
                source.maximumConcurrency ?? Number.POSITIVE_INFINITY,
              ),
            })
          : startKinesisPoller({
              source,
              kinesis: clients.kinesis,
              sqs: clients.sqs,
              sns: clients.sns,
              invoke,
              region,
              log,
            });
      stoppers.push(() => poller.stop());
      monitored.push({
        label: `${source.kind === 'sqs' ? nameOfQueueUrl(source.queueUrl) : source.streamName} → ${source.functionName}`,
        stats: () => poller.stats(),
        deadLetters: await deadLettersOf(source, stack.resources, clients.sqs),
      });
    }
    if (options.statusIntervalMs !== 0) {
      const monitor = startEventSourceMonitor({
        sources: monitored,
        sqs: clients.sqs,
        intervalMs: options.statusIntervalMs,
        always: options.alwaysShowStatus,
        print: log,
      });
      stoppers.push(async () => monitor.stop());
    }

    const streamName = stack.eventSources.find((source) => source.kind === 'kinesis')?.streamName;
    const queues = queuesOfStack(stack.resources, packaged.deadLetterQueues);
    const streamRecords =
      streamName === undefined ? async () => 0 : createStreamCounter(clients.kinesis, streamName);
    /** A token the HTTP API accepts: the template's issuer and audience, the cloud's key (an hour). */
    const issueToken = ({ sub, scopes }: TokenRequest) => {
      const { issuer, audience } = theJwtAuthorizer(packaged);
      return signLocalToken(signingKey, { sub, scopes, issuer, audience: audience[0] as string });
    };
    const httpApi = await startHttpApi({
      pipelineStatus: () =>
        readPipelineStatus({
          queues,
          streamName: streamName ?? '',
          sqs: clients.sqs,
          streamRecords,
          counters: () => counters.snapshot(),
        }),
      onRouteAnswered: (statusCode) => counters.httpAnswered(statusCode),
      localSite: {
        home: DASHBOARD_PATH,
        ...createDashboardSite({
          mqttWs: () => emulators.mqtt.wsUrl,
          issueToken: (sub) => issueToken({ sub }),
        }),
      },
      port: ports.http,
      routes: stack.routes,
      invoke: (functionName, event) => runtime.invoke(functionName, event),
      region,
      accountId: LOCAL_ACCOUNT_ID,
      jwks: { keys: [signingKey.publicJwk] },
    });
    stoppers.push(() => httpApi.close());

    const lambdaApi = await startLambdaApi({
      port: ports.lambda,
      functionNames: stack.functions.map((fn) => fn.name),
      invoke: (functionName, event) => runtime.invoke(functionName, event),
      invokeAsync: (functionName, event) => asyncInvoker.invokeAsync(functionName, event),
      log,
      configurations: functionConfigurations(runtime, localEnvironment(endpoints), stack),
    });
    stoppers.push(() => lambdaApi.close());

    const theBroker = brokers.running ? [...brokers.brokers.values()][0] : undefined;
    return {
      endpoints: {
        ...endpoints,
        ...(theBroker === undefined ? {} : { amqp: `amqp://127.0.0.1:${theBroker.port}` }),
        http: httpApi.url,
        mqtt: emulators.mqtt.url,
        mqttWs: emulators.mqtt.wsUrl,
        lambda: lambdaApi.url,
      },
      region,
      packaged,
      stack,
      clients,
      functionConcurrency:
        options.functionConcurrency ?? functionConcurrencyFromEnv() ?? DEFAULT_FUNCTION_CONCURRENCY,
      setFunctionEnvironment(name, variables) {
        const fn = stack.functions.find((candidate) => candidate.name.endsWith(`-${name}`));
        if (fn === undefined) throw new Error(`The stack has no function ${name}`);
        runtime.updateEnvironment(fn.name, variables);
      },
      issueToken,
      turnOffFaults() {
        faults?.turnOff();
        if (options.faults === undefined) return;
        for (const fn of stack.functions)
          runtime.updateEnvironment(fn.name, { [FUNCTION_FAULTS_VARIABLE]: undefined });
      },
      pendingSnsDeliveries: () => faults?.snsDelivery.pending() ?? 0,
      emulatorRequests: () => ({
        sqsSns: emulators.sqsSns.requests(),
        dynamodb: emulators.dynamodb.requests(),
        kinesis: emulators.kinesis.requests(),
        iotData: emulators.iotData.requests(),
      }),
      topicRulesFired: () => rulesEngine?.stats().fired ?? {},
      legacyBrokerUrl: theBroker?.url,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `ORDERFLOW_FUNCTION_CONCURRENCY`, when set to a whole number ≥ 1. */
function functionConcurrencyFromEnv(): number | undefined {
  const text = process.env.ORDERFLOW_FUNCTION_CONCURRENCY;
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `ORDERFLOW_FUNCTION_CONCURRENCY must be a whole number ≥ 1 (got ${JSON.stringify(text)})`,
    );
  }
  return value;
}

/** The queue name at the end of a queue URL. */
function nameOfQueueUrl(queueUrl: string): string {
  return queueUrl.split('/').at(-1) ?? queueUrl;
}

/** The extra environment given for a function by its serverless.yml name (its deployed name ends with it). */
function extraEnvironment(
  deployedName: string,
  byFunction: Record<string, Record<string, string>> = {},
): Record<string, string> {
  const entry = Object.entries(byFunction).find(([name]) => deployedName.endsWith(`-${name}`));
  return entry?.[1] ?? {};
}

async function capVisibilityTimeouts(clients: LocalClients, stack: ProvisionedStack, seconds: number) {
  for (const resource of Object.values(stack.resources)) {
    if (resource.type !== 'AWS::SQS::Queue') continue;
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resource.ref, AttributeNames: ['VisibilityTimeout'] }),
    );
    if (Number(Attributes?.VisibilityTimeout ?? 30) <= seconds) continue;
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: resource.ref,
        Attributes: { VisibilityTimeout: String(seconds) },
      }),
    );
  }
}

function endpointsOf(emulators: Emulators) {
  return {
    sqsSns: emulators.sqsSns.endpoint,
    dynamodb: emulators.dynamodb.endpoint,
    kinesis: emulators.kinesis.endpoint,
    iotData: emulators.iotData.endpoint,
  };
}

/** What every function gets on top of its template environment: this cloud's endpoints and dummy credentials. */
function localEnvironment(
  endpoints: ReturnType<typeof endpointsOf> & { secretsManager: string },
): Record<string, string> {
  const variables: Record<string, string> = {
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // No X-Ray here: Powertools Tracer would look for the daemon of a real Lambda environment.
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  for (const [service, names] of Object.entries(ENDPOINT_VARIABLES)) {
    for (const name of names) variables[name] = endpoints[service as keyof typeof endpoints];
  }
  return variables;
}

/**
 * The Lambda API's view of the functions' configuration: their variables without the local cloud's plumbing (the
 * endpoints and dummy credentials every function gets), which an update keeps, as it keeps the broker's real port.
 */
function functionConfigurations(
  runtime: FunctionRuntime,
  plumbing: Readonly<Record<string, string>>,
  stack: Pick<ProvisionedStack, 'brokers'>,
): FunctionConfigurations {
  return {
    get(functionName) {
      const fn = runtime.configuration(functionName);
      const environment = Object.fromEntries(
        Object.entries(fn.environment).filter(([name]) => !(name in plumbing)),
      );
      return { ...fn, environment };
    },
    replaceEnvironment(functionName, variables) {
      runtime.replaceEnvironment(functionName, {
        ...variables,
        ...plumbing,
        ...brokerEnvironment(variables, stack),
      });
    },
  };
}

/** Where the functions' lines go: the console (readable), a callback, a log file for `npm run trace`, or nowhere. */
function functionOutputOf(
  options: Pick<LocalCloudOptions, 'functionOutput' | 'functionLogFile'>,
  stoppers: Array<() => Promise<unknown>>,
): FunctionOutput {
  const output = options.functionOutput ?? 'inherit';
  const shown: FunctionOutput =
    output === 'inherit' ? (fn, line) => process.stdout.write(`[${fn}] ${readableLine(line)}\n`) : output;
  if (options.functionLogFile === undefined) return shown;
  const log = openFunctionLog(options.functionLogFile);
  stoppers.push(() => log.close());
  return (fn, line) => {
    log.write(fn, line);
    if (typeof shown === 'function') shown(fn, line);
  };
}

/** A secret of the stack by its ARN or its name, as Secrets Manager finds it. */
function secretNamed(secrets: readonly LocalSecret[], secretId: string): LocalSecret | undefined {
  return secrets.find((candidate) => candidate.arn === secretId || candidate.name === secretId);
}

/** The `{ username, password }` of a broker secret (what Lambda's BASIC_AUTH reads). */
function readCredentials(secret: { secretString: string }): { username: string; password: string } {
  const { username, password } = JSON.parse(secret.secretString) as { username: string; password: string };
  return { username, password };
}

/**
 * The bridge's functions are told where the broker is (`LEGACY_BROKER_ENDPOINT`, `amqp://127.0.0.1:5672` in the
 * `local` stage): pointed at the port the stack's broker really listens on (another one in tests, or with
 * `ORDERFLOW_AMQP_PORT`).
 */
function brokerEnvironment(
  environment: Readonly<Record<string, string>>,
  stack: Pick<ProvisionedStack, 'brokers'>,
): Record<string, string> {
  const broker = stack.brokers[0];
  if (environment.LEGACY_BROKER_ENDPOINT === undefined || broker === undefined) return {};
  return { LEGACY_BROKER_ENDPOINT: `amqp://127.0.0.1:${broker.port}` };
}
