import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { PIPELINE_STATUS_PATH, type PipelineStatus } from '../pipeline-status.js';
import { type CommandIo, EXIT, positiveIntegerOption, runCommand, UsageError } from './command.js';

export const DEMO_USAGE = 'npm run demo [-- --start] [--timeout-ms 30000]';

/** A local cloud the demo talks to: the one `npm start` runs, or one it started (`--start`). */
export interface DemoCloud {
  /** The HTTP API, e.g. `http://127.0.0.1:3000`. */
  http: string;
  mqtt: string;
  /** A token the HTTP API accepts for `sub` (with `scopes`). */
  token(sub: string, scopes?: readonly string[]): Promise<string>;
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
    ...results.map((r) => [r.step, r.expected, r.observed, r.pass ? 'PASS' : 'FAIL']),
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
        return results.every((result) => result.pass) ? EXIT.ok : EXIT.failed;
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
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T | undefined> => {
    io.out(`  waiting for ${what} ...`);
    const deadline = Date.now() + timeoutMs;
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
    return (observed: string, pass: boolean) => {
      io.out(`  observed: ${observed} → ${pass ? 'PASS' : 'FAIL'}`);
      results.push({ step: title, expected, observed, pass });
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
  return results;
}
