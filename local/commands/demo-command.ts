import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { type ChannelModel, type ConsumeMessage, connect as connectAmqp } from 'amqplib';
import { connectAsync, type MqttClient } from 'mqtt';
import { runRedrive } from '../../shared/app/redrive-dlq.js';
import { LEGACY_STATUS_EXCHANGE } from '../../shared/core/legacy-status.js';
import { PIPELINE_STATUS_PATH, type PipelineStatus } from '../pipeline-status.js';
import { type CommandIo, EXIT, positiveIntegerOption, runCommand, UsageError } from './command.js';
import { localRedrivePorts } from './local-redrive-ports.js';
import type { LocalTarget } from './local-target.js';

export const DEMO_USAGE = 'npm run demo [-- --start] [--timeout-ms 30000]';

/** A local cloud the demo talks to: the one `npm start` runs, or one it started (`--start`). */
export interface DemoCloud {
  /** The HTTP API, e.g. `http://127.0.0.1:3000`. */
  http: string;
  mqtt: string;
  /** A token the HTTP API accepts for `sub` (with `scopes`). */
  token(sub: string, scopes?: readonly string[]): Promise<string>;
  /**
   * The cloud's AWS side as the commands reach it (its functions, SQS, DynamoDB, the Lambda API): the poison step
   * changes a function's configuration and a queue's visibility timeout through it, and redrives with it. The demo
   * closes it after the step.
   */
  target(): Promise<LocalTarget>;
  /**
   * The ERP bridge's broker (`amqp://user:pass@host:port`) when the cloud runs one, `undefined` when it does not;
   * the demo checks that it answers before it tells the ERP step.
   */
  legacyBrokerUrl(): Promise<string | undefined>;
  /** Stops what the demo started (nothing for a running cloud). */
  close(): Promise<void>;
}

export interface DemoDependencies {
  /** The cloud to tell the story on; `start` says whether `--start` was given. */
  cloud(start: boolean): Promise<DemoCloud>;
}

export interface DemoStepResult {
  step: string;
  expected: string;
  observed: string;
  pass: boolean;
  /** Not told at all (what it needs does not run): shown as SKIP, and does not fail the demo. */
  skipped?: boolean;
}

/** PASS, FAIL or SKIP: how the summary shows a step. */
export function resultOf(result: DemoStepResult): 'PASS' | 'FAIL' | 'SKIP' {
  if (result.skipped) return 'SKIP';
  return result.pass ? 'PASS' : 'FAIL';
}

/** The demo's exit code: 0 when every step passed or was skipped, and at least one passed. */
export function demoExitCode(results: readonly DemoStepResult[]): number {
  const passed =
    results.every((result) => resultOf(result) !== 'FAIL') && results.some((result) => result.pass);
  return passed ? EXIT.ok : EXIT.failed;
}

export function parseDemoArguments(argv: readonly string[]): { start: boolean; timeoutMs: number } {
  let parsed: ReturnType<typeof parseDemoOptions>;
  try {
    parsed = parseDemoOptions(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  return {
    start: values.start === true,
    timeoutMs: positiveIntegerOption(values['timeout-ms'], 'timeout-ms') ?? 30_000,
  };
}

const parseDemoOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    options: { start: { type: 'boolean' }, 'timeout-ms': { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });

/** One line of live figures from `/_local/pipeline`. */
export function figuresLine(status: PipelineStatus): string {
  const queues = status.queues
    .filter((queue) => queue.role === 'queue')
    .map((queue) => `${queue.name} in flight ${queue.inFlight}`)
    .join(', ');
  const dlqDepth = status.queues
    .filter((queue) => queue.role !== 'queue')
    .reduce((sum, queue) => sum + queue.visible + queue.inFlight, 0);
  const { httpAccepted, published, notifications } = status.counters;
  return `  · HTTP accepted ${httpAccepted}, published ${published}, stream records ${status.stream.records}, notifications ${notifications}; ${queues}; DLQs/failures hold ${dlqDepth}`;
}

/** The summary table: each step with what was expected, what was observed, PASS or FAIL. */
export function summaryTable(results: readonly DemoStepResult[]): string {
  const rows = [
    ['step', 'expected', 'observed', 'result'],
    ...results.map((r) => [r.step, r.expected, r.observed, resultOf(r)]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join(' | ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * `npm run demo`: a scripted story told against the local cloud, each step printing what it does, what should
 * happen, and the pipeline's live figures while it waits; a summary table at the end. Exit 0 only if every step
 * behaved as narrated.
 */
export function demoCommand(
  argv: readonly string[],
  dependencies: DemoDependencies,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'demo',
    DEMO_USAGE,
    io,
    async () => {
      const { start, timeoutMs } = parseDemoArguments(argv);
      const cloud = await dependencies.cloud(start);
      let mqtt: MqttClient | undefined;
      try {
        mqtt = await connectAsync(cloud.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
        const results = await tellStory(cloud, mqtt, io, timeoutMs);
        io.out('');
        io.out(summaryTable(results));
        return demoExitCode(results);
      } finally {
        await mqtt?.endAsync();
        await cloud.close();
      }
    },
    () => 'Is the local cloud running (npm start)? Or start one with npm run demo -- --start.',
  );
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function tellStory(
  cloud: DemoCloud,
  mqtt: MqttClient,
  io: CommandIo,
  timeoutMs: number,
): Promise<DemoStepResult[]> {
  const heard: Array<{ topic: string; message: Record<string, unknown> }> = [];
  mqtt.on('message', (topic, payload) => {
    try {
      heard.push({ topic, message: JSON.parse(payload.toString('utf8')) as Record<string, unknown> });
    } catch {
      // not JSON: not part of the story
    }
  });
  await mqtt.subscribeAsync(['orders/+/+/status', 'ops/reviews'], { qos: 1 });
  const run = randomUUID().slice(0, 8);

  const pipeline = async (): Promise<PipelineStatus> => {
    const response = await fetch(`${cloud.http}${PIPELINE_STATUS_PATH}`);
    if (!response.ok) throw new Error(`GET ${PIPELINE_STATUS_PATH} answered ${response.status}`);
    return (await response.json()) as PipelineStatus;
  };
  const call = async (
    method: string,
    as: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await fetch(`${cloud.http}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await cloud.token(as)}`,
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };
  const statusOf = async (as: string, orderId: string) =>
    String((await call('GET', as, `/orders/${orderId}`)).body.status);
  /** Waits for `probe`, printing the pipeline's figures about every second; `undefined` after the timeout. */
  const waitFor = async <T>(
    what: string,
    probe: () => Promise<T | undefined>,
    waitMs = timeoutMs,
  ): Promise<T | undefined> => {
    io.out(`  waiting for ${what} ...`);
    const deadline = Date.now() + waitMs;
    let lastPrint = 0;
    for (;;) {
      const value = await probe();
      if (Date.now() - lastPrint >= 1000 || value !== undefined) {
        io.out(figuresLine(await pipeline()));
        lastPrint = Date.now();
      }
      if (value !== undefined || Date.now() >= deadline) return value;
      await delay(200);
    }
  };
  const heardStatus = (orderId: string, status: string) =>
    heard.some(({ topic, message }) => topic.endsWith(`/${orderId}/status`) && message.status === status);
  const order = (customerId: string, unitPrice: number) => ({
    customerId,
    currency: 'EUR',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice }],
  });
  const placeAndPay = async (customerId: string, unitPrice = 1250) => {
    const placed = await call('POST', customerId, '/orders', order(customerId, unitPrice));
    const orderId = String(placed.body.orderId);
    const paid = await call('POST', customerId, `/orders/${orderId}/pay`, { amount: placed.body.total });
    return { orderId, placed: placed.status, paid: paid.status };
  };
  const results: DemoStepResult[] = [];
  const step = (title: string, doing: string, expected: string) => {
    io.out('');
    io.out(`== ${results.length + 1}. ${title}`);
    io.out(`  doing: ${doing}`);
    io.out(`  expected: ${expected}`);
    return (observed: string, pass: boolean, skipped = false) => {
      const result = {
        step: title,
        expected,
        observed,
        pass: pass && !skipped,
        ...(skipped ? { skipped } : {}),
      };
      io.out(`  observed: ${observed} → ${resultOf(result)}`);
      results.push(result);
    };
  };

  // 1. A normal order.
  {
    const customer = `demo-${run}-happy`;
    const done = step(
      'normal order',
      `place and pay an order of ${customer}`,
      'placed 201, paid 202, FULFILLED heard on its status topic',
    );
    const { orderId, placed, paid } = await placeAndPay(customer);
    const fulfilled = await waitFor(`FULFILLED on orders/${customer}/${orderId}/status`, async () =>
      heardStatus(orderId, 'FULFILLED') ? true : undefined,
    );
    done(
      `order ${orderId}: placed ${placed}, paid ${paid}, FULFILLED ${fulfilled ? 'heard' : 'not heard'}`,
      placed === 201 && paid === 202 && fulfilled === true,
    );
  }

  // 2. An idempotent replay.
  {
    const customer = `demo-${run}-replay`;
    const key = `demo-${run}-key`;
    const done = step(
      'idempotent replay',
      `POST /orders twice with Idempotency-Key ${key}`,
      'the same orderId back, Idempotent-Replayed: true, published once',
    );
    const before = (await pipeline()).counters.published;
    const first = await call('POST', customer, '/orders', order(customer, 990), { 'idempotency-key': key });
    await waitFor('the first publish', async () =>
      (await pipeline()).counters.published > before ? true : undefined,
    );
    const afterFirst = (await pipeline()).counters.published;
    const second = await call('POST', customer, '/orders', order(customer, 990), { 'idempotency-key': key });
    await delay(500);
    const afterSecond = (await pipeline()).counters.published;
    const same = first.body.orderId !== undefined && first.body.orderId === second.body.orderId;
    const replayed = second.headers.get('idempotent-replayed');
    done(
      `orderIds ${same ? 'equal' : 'differ'}, Idempotent-Replayed: ${replayed}, published +${afterFirst - before} then +${afterSecond - afterFirst}`,
      same && replayed === 'true' && afterSecond === afterFirst && afterFirst > before,
    );
  }

  // 3. A high-value order sent for review.
  {
    const customer = `demo-${run}-big`;
    const done = step(
      'high-value review',
      `place an order of total 120000 as ${customer}`,
      'placed 201, a review heard on ops/reviews',
    );
    const placed = await call('POST', customer, '/orders', order(customer, 60_000));
    const orderId = String(placed.body.orderId);
    const review = await waitFor('the review on ops/reviews', async () =>
      heard.find(({ topic, message }) => topic === 'ops/reviews' && message.orderId === orderId),
    );
    done(
      `placed ${placed.status} (total ${String(placed.body.total)}), review ${review ? 'heard' : 'not heard'}`,
      placed.status === 201 && review !== undefined && Number(placed.body.total) >= 100_000,
    );
  }

  // 4. A cancel racing the fulfilment.
  {
    const customer = `demo-${run}-race`;
    const done = step(
      'cancel racing fulfilment',
      'pay an order and cancel it at once',
      'the cancel answer matches the final state (2xx ⇔ CANCELLED, refused ⇔ FULFILLED)',
    );
    const placed = await call('POST', customer, '/orders', order(customer, 700));
    const orderId = String(placed.body.orderId);
    const [paid, cancelled] = await Promise.all([
      call('POST', customer, `/orders/${orderId}/pay`, { amount: placed.body.total }),
      call('POST', customer, `/orders/${orderId}/cancel`, {}),
    ]);
    const final = await waitFor('a final state', async () => {
      const status = await statusOf(customer, orderId);
      return status === 'CANCELLED' || status === 'FULFILLED' ? status : undefined;
    });
    const cancelAccepted = cancelled.status >= 200 && cancelled.status < 300;
    const payAccepted = paid.status >= 200 && paid.status < 300;
    const consistent =
      (cancelAccepted && final === 'CANCELLED') || (!cancelAccepted && payAccepted && final === 'FULFILLED');
    done(
      `order ${orderId}: pay ${paid.status}, cancel ${cancelled.status}, final ${final ?? 'none'}`,
      consistent,
    );
  }

  // 5. Warehouse scans.
  {
    const customer = `demo-${run}-scan`;
    const done = step(
      'warehouse scans',
      'fulfil an order, then publish a shipped and a delivered scan to warehouse/w1/scans',
      'SHIPPED then DELIVERED heard on its status topic',
    );
    const { orderId } = await placeAndPay(customer);
    await waitFor('FULFILLED', async () => (heardStatus(orderId, 'FULFILLED') ? true : undefined));
    const scan = (kind: string, extra: Record<string, string> = {}) =>
      mqtt.publishAsync(
        'warehouse/w1/scans',
        JSON.stringify({
          scanId: `demo-${run}-${kind}`,
          orderId,
          kind,
          ...extra,
          at: new Date().toISOString(),
        }),
        { qos: 1 },
      );
    await scan('shipped', { carrier: 'DHL', trackingNo: `T${run}` });
    const shipped = await waitFor('SHIPPED', async () =>
      heardStatus(orderId, 'SHIPPED') ? true : undefined,
    );
    await scan('delivered');
    const delivered = await waitFor('DELIVERED', async () =>
      heardStatus(orderId, 'DELIVERED') ? true : undefined,
    );
    const final = await statusOf(customer, orderId);
    done(
      `order ${orderId}: SHIPPED ${shipped ? 'heard' : 'not heard'}, DELIVERED ${delivered ? 'heard' : 'not heard'}, final ${final}`,
      shipped === true && delivered === true && final === 'DELIVERED',
    );
  }
  // 6. A poison message: the DLQ, the fix, the redrive.
  {
    const customer = `cust-demo-poison-${run}`;
    const done = step(
      'poison message and redrive',
      `a bad release of processOrder fails every event of ${customer}; place and pay an order of ${customer}, ship the fix, then npm run redrive -- --queue fulfillment --order <its id>`,
      'its events in the fulfillment DLQ after 5 receives, redriven in order after the fix, FULFILLED heard, none left in the DLQ',
    );
    const target = await cloud.target();
    try {
      const { observed, pass } = await poisonStep({
        target,
        customer,
        run,
        io,
        waitFor,
        placeAndPay,
        heardStatus,
        dlqWaitMs: Math.max(timeoutMs, POISON_DLQ_WAIT_MS),
      });
      done(observed, pass);
    } catch (error) {
      done(`the step broke: ${error instanceof Error ? error.message : String(error)}`, false);
    } finally {
      target.close();
    }
  }

  // 7. An order from the legacy ERP, through the bridge's broker.
  {
    const account = `DEMO-${run.toUpperCase()}`;
    const erpOrderNo = `PO-DEMO-${run}`;
    const done = step(
      'legacy ERP order',
      `publish ERP order ${erpOrderNo} of account ${account} to legacy.orders (as npm run legacy -- send does)`,
      `the order placed: PLACED heard on exchange ${LEGACY_STATUS_EXCHANGE}, routing key erp.${account}`,
    );
    const connection = await reachableBroker(cloud);
    if (connection === undefined) {
      done(SKIPPED_LEGACY, false, true);
    } else {
      try {
        const { observed, pass } = await legacyStep(connection, { account, erpOrderNo, waitFor });
        done(observed, pass);
      } catch (error) {
        done(`the step broke: ${error instanceof Error ? error.message : String(error)}`, false);
      } finally {
        await connection.close().catch(() => undefined);
      }
    }
  }
  return results;
}

/** How long the poison step waits for its events to reach the DLQ (5 receives each, a few seconds apart). */
const POISON_DLQ_WAIT_MS = 60_000;
/** The visibility timeout the poison step gives fulfillment.fifo, so that 5 receives take seconds, not minutes. */
const POISON_VISIBILITY_TIMEOUT_SECONDS = 2;
const FAULT_SWITCH = 'ORDERFLOW_FAULT_CUSTOMER_ID';
export const SKIPPED_LEGACY = "skipped (the ERP bridge's broker is not running)";

type WaitFor = <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  waitMs?: number,
) => Promise<T | undefined>;

interface PoisonStepInput {
  target: LocalTarget;
  customer: string;
  run: string;
  io: CommandIo;
  waitFor: WaitFor;
  placeAndPay(customerId: string): Promise<{ orderId: string; placed: number; paid: number }>;
  heardStatus(orderId: string, status: string): boolean;
  dlqWaitMs: number;
}

/**
 * The poison step, told against any local cloud through its AWS APIs, as an operator would: the bad release is an
 * UpdateFunctionConfiguration of processOrder (`ORDERFLOW_FAULT_CUSTOMER_ID`, read at cold start), the queue's
 * visibility timeout is lowered with SetQueueAttributes, and both are put back as they were whatever happens.
 */
async function poisonStep(input: PoisonStepInput): Promise<{ observed: string; pass: boolean }> {
  const { target, customer, io, waitFor } = input;
  const { sqs, lambda } = target.clients;
  const functionName = target.functions.find((fn) => fn.name.endsWith('-processOrder'))?.name;
  const redriveEnvironment = target.functions.find((fn) => fn.name.endsWith('-redriveDlq'))?.environment;
  const queueName = redriveEnvironment?.FULFILLMENT_QUEUE_NAME;
  const dlqName = redriveEnvironment?.FULFILLMENT_DLQ_NAME;
  if (functionName === undefined || queueName === undefined || dlqName === undefined) {
    return { observed: 'the stack has no processOrder, or no fulfillment queue and DLQ', pass: false };
  }
  const urlOf = async (name: string) => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (QueueUrl === undefined) throw new Error(`no queue ${name}`);
    return QueueUrl;
  };
  const queueUrl = await urlOf(queueName);
  const dlqUrl = await urlOf(dlqName);
  const depthOf = async (url: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };
  const { Attributes: queueAttributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
    }),
  );
  const originalVisibility = queueAttributes.VisibilityTimeout ?? '30';
  const maxReceiveCount = redrivePolicyOf(queueAttributes.RedrivePolicy)?.maxReceiveCount ?? 5;
  const original = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  const originalVariables = { ...original.Environment?.Variables };
  const configure = (variables: Record<string, string>) =>
    lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionName,
        Environment: { Variables: variables },
      }),
    );
  const setVisibility = (seconds: string) =>
    sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: seconds } }),
    );

  let functionRestored = false;
  let visibilityChanged = false;
  /** Puts back what the step changed and is not back yet; once, whoever asks first (the step's end, or Ctrl-C). */
  let restoring: Promise<void> | undefined;
  const restore = () => {
    restoring ??= (async () => {
      const restored: string[] = [];
      if (!functionRestored) {
        await configure(originalVariables).then(
          () => restored.push(`${functionName}'s configuration`),
          (error: unknown) => io.err(`demo: could not restore ${functionName}'s configuration: ${error}`),
        );
      }
      if (visibilityChanged) {
        await setVisibility(originalVisibility).then(
          () => restored.push(`${queueName}'s visibility timeout (${originalVisibility} s)`),
          (error: unknown) => io.err(`demo: could not restore ${queueName}'s visibility timeout: ${error}`),
        );
      }
      if (restored.length > 0) io.out(`  put back: ${restored.join(', ')}`);
    })();
    return restoring;
  };
  // Ctrl-C in the middle of the step: the cloud is left as it was found, then the demo ends.
  const interrupted = () => {
    void restore().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  try {
    io.out(
      `  ${queueName} hides a failed message for ${originalVisibility} s (its visibility timeout) and moves it to the DLQ after ${maxReceiveCount} receives: ` +
        `${maxReceiveCount} × ${originalVisibility} s. For this step it is lowered to ${POISON_VISIBILITY_TIMEOUT_SECONDS} s (SQS SetQueueAttributes), and put back afterwards.`,
    );
    visibilityChanged = true;
    await setVisibility(String(POISON_VISIBILITY_TIMEOUT_SECONDS));
    io.out(
      `  the bad release: ${functionName} gets ${FAULT_SWITCH}=${customer} (Lambda UpdateFunctionConfiguration; read at cold start)`,
    );
    await configure({ ...originalVariables, [FAULT_SWITCH]: customer });
    const dlqBefore = await depthOf(dlqUrl);
    const { orderId, placed, paid } = await input.placeAndPay(customer);
    io.out(
      `  order ${orderId}: placed ${placed}, paid ${paid}; processOrder fails its OrderPlaced and OrderPaid`,
    );
    const inDlq = await waitFor(
      `its 2 events in ${dlqName} (${maxReceiveCount} receives each, ${POISON_VISIBILITY_TIMEOUT_SECONDS} s apart)`,
      async () => {
        const added = (await depthOf(dlqUrl)) - dlqBefore;
        return added >= 2 ? added : undefined;
      },
      input.dlqWaitMs,
    );
    if (inDlq === undefined) {
      return {
        observed: `order ${orderId}: its events did not reach the DLQ within ${input.dlqWaitMs / 1000} s`,
        pass: false,
      };
    }
    const heardBeforeFix = input.heardStatus(orderId, 'PLACED');
    io.out(`  the fix ships: ${functionName} gets its configuration back, without ${FAULT_SWITCH}`);
    await configure(originalVariables);
    functionRestored = true;
    io.out(`  npm run redrive -- --queue fulfillment --order ${orderId}`);
    const report = await runRedrive(localRedrivePorts(target.functions, target.clients)('fulfillment'), {
      queue: 'fulfillment',
      orderId,
      owner: `npm-run-demo-${input.run}`,
    });
    const redriven = report.moved.filter((message) => message.groupId === orderId);
    io.out(`  redriven: ${redriven.map((message) => `seq ${message.seq}`).join(', ') || 'nothing'}`);
    const fulfilled = await waitFor(`FULFILLED on orders/${customer}/${orderId}/status`, async () =>
      input.heardStatus(orderId, 'FULFILLED') ? true : undefined,
    );
    const check = await runRedrive(localRedrivePorts(target.functions, target.clients)('fulfillment'), {
      queue: 'fulfillment',
      orderId,
      dryRun: true,
      owner: `npm-run-demo-${input.run}-check`,
    });
    const left =
      check.moved.filter((message) => message.groupId === orderId).length +
      check.unreadHeads.filter((message) => message.groupId === orderId).length;
    const inOrder = redriven.map((message) => message.seq).join(',') === '1,2';
    return {
      observed: `order ${orderId}: ${inDlq} events in the DLQ, ${redriven.length} redriven${inOrder ? ' in order' : ''}, ${fulfilled ? 'FULFILLED' : 'not FULFILLED'}, ${left} left in the DLQ`,
      pass:
        placed === 201 &&
        paid === 202 &&
        !heardBeforeFix &&
        inOrder &&
        fulfilled === true &&
        left === 0 &&
        report.parked.every((message) => message.groupId !== orderId),
    };
  } finally {
    process.removeListener('SIGINT', interrupted);
    await restore();
  }
}

function redrivePolicyOf(text: string | undefined): { maxReceiveCount?: number } | undefined {
  if (text === undefined) return undefined;
  try {
    const { maxReceiveCount } = JSON.parse(text) as { maxReceiveCount?: unknown };
    return maxReceiveCount === undefined ? {} : { maxReceiveCount: Number(maxReceiveCount) };
  } catch {
    return undefined;
  }
}

/** A connection to the cloud's ERP broker, or `undefined` when it has none or it does not answer. */
async function reachableBroker(cloud: DemoCloud): Promise<ChannelModel | undefined> {
  const url = await cloud.legacyBrokerUrl().catch(() => undefined);
  if (url === undefined) return undefined;
  return connectAmqp(url, { timeout: 3000 }).catch(() => undefined);
}

/**
 * The ERP step: one ERP order published to `legacy.orders` as the ERP (and `npm run legacy -- send`) publishes it,
 * and its PLACED heard back on `orderflow.status` with the account's routing key.
 */
async function legacyStep(
  connection: ChannelModel,
  input: { account: string; erpOrderNo: string; waitFor: WaitFor },
): Promise<{ observed: string; pass: boolean }> {
  const { account, erpOrderNo } = input;
  const channel = await connection.createConfirmChannel();
  const heard: Array<Record<string, unknown>> = [];
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, LEGACY_STATUS_EXCHANGE, `erp.${account}`);
  await channel.consume(
    queue,
    (message: ConsumeMessage | null) => {
      if (message === null) return;
      try {
        heard.push(JSON.parse(message.content.toString('utf8')) as Record<string, unknown>);
      } catch {
        // not JSON: not the status of an order
      }
    },
    { noAck: true },
  );
  const body = {
    erpOrderNo,
    account,
    ccy: 'EUR',
    lines: [
      { article: 'BOOK-1', qty: 2, price: '19.99' },
      { article: 'PEN-7', qty: 10, price: '1.25' },
    ],
  };
  channel.sendToQueue('legacy.orders', Buffer.from(JSON.stringify(body), 'utf8'), {
    persistent: true,
    contentType: 'application/json',
    messageId: `${account}:${erpOrderNo}`,
  });
  await channel.waitForConfirms();
  const placed = await input.waitFor(`PLACED on ${LEGACY_STATUS_EXCHANGE} (erp.${account})`, async () =>
    heard.find((status) => status.erpOrderNo === erpOrderNo && status.status === 'PLACED'),
  );
  await channel.close().catch(() => undefined);
  return {
    observed:
      placed === undefined
        ? `ERP order ${erpOrderNo}: no PLACED heard on erp.${account}`
        : `ERP order ${erpOrderNo}: order ${String(placed.orderId)} PLACED, heard on erp.${account}`,
    pass: placed !== undefined,
  };
}
