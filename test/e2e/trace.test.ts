import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { traceCommand } from '../../local/commands/trace-command.js';
import { readFunctionLog } from '../../local/logs/function-log.js';
import { traceOf } from '../../local/logs/trace.js';
import { capturedIo } from '../support/command-harness.js';
import { getJson, postJson, startTestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait-for.js';

let cloud: LocalCloud;
let logFile: string;

const FUNCTIONS = ['createOrder', 'payOrder', 'processOrder', 'aggregateAnalytics', 'notifyCustomer'];

beforeAll(async () => {
  logFile = join(await mkdtemp(join(tmpdir(), 'orderflow-e2e-trace-')), 'functions.ndjson');
  ({ cloud } = await startTestCloud({ functionLogFile: logFile }));
});

afterAll(async () => {
  await cloud?.stop();
});

/** Places and pays an order as `customerId`, both requests with `x-correlation-id: correlationId`. */
async function placeAndPay(customerId: string, correlationId: string): Promise<string> {
  const headers = { 'x-correlation-id': correlationId };
  const placed = await postJson(
    cloud,
    '/orders',
    { customerId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 900 }] },
    { as: customerId },
    headers,
  );
  expect(placed.headers.get('x-correlation-id')).toBe(correlationId);
  const orderId = String(placed.body.orderId);
  const paid = await postJson(cloud, `/orders/${orderId}/pay`, { amount: 900 }, { as: customerId }, headers);
  expect(paid.status).toBe(202);
  return orderId;
}

/** Waits until the order's trace has lines of every pipeline function (the analytics and notification included). */
async function traceOfEveryFunction(orderId: string) {
  return waitFor(
    async () => {
      const trace = traceOf(await readFunctionLog(logFile), orderId);
      const seen = new Set(trace.map(({ fn }) => fn));
      return FUNCTIONS.every((fn) => seen.has(fn)) && trace.some((line) => line.fields.statuses !== undefined)
        ? trace
        : undefined;
    },
    { timeoutMs: 30_000, description: `lines of ${FUNCTIONS.join(', ')} for order ${orderId}` },
  );
}

describe('one correlation id through every stage (npm run trace)', () => {
  it('shows an order placed with x-correlation-id: demo-1 in every function it passed, every line with demo-1', async () => {
    // Prepare
    const orderId = await placeAndPay('cust-trace', 'demo-1');
    await waitFor(
      async () =>
        (await getJson(cloud, `/orders/${orderId}`, { as: 'cust-trace' })).body.status === 'FULFILLED',
    );
    await traceOfEveryFunction(orderId);
    const io = capturedIo();

    // Act
    const code = await traceCommand([orderId], () => readFunctionLog(logFile), io);

    // Assess
    expect(code).toBe(0);
    for (const fn of FUNCTIONS) expect(io.stdout.some((line) => line.includes(` ${fn} `))).toBe(true);
    // The test's own GETs (sent without the header) are requests of their own, with API Gateway's request ids.
    const pipelineLines = io.stdout.filter((line) => !line.includes(' getOrder '));
    expect(pipelineLines.filter((line) => !line.includes('correlationId=demo-1'))).toEqual([]);
    expect(io.stdout.some((line) => line.includes('Event applied') && line.includes('FULFILLED'))).toBe(true);
  }, 60_000);

  it('keeps the traces of 10 orders placed at once apart, each with its own correlation id', async () => {
    // Prepare
    const orders = await Promise.all(
      Array.from({ length: 10 }, async (_, index) => {
        const correlationId = `load-${index}`;
        return { correlationId, orderId: await placeAndPay(`cust-trace-${index}`, correlationId) };
      }),
    );

    // Act
    const traces = await Promise.all(orders.map(({ orderId }) => traceOfEveryFunction(orderId)));

    // Assess
    traces.forEach((trace, index) => {
      const own = orders[index]?.correlationId;
      expect(new Set(trace.map((line) => line.correlationId))).toEqual(new Set([own]));
      expect(
        trace.every(
          (line) => line.fields.orderId === orders[index]?.orderId || line.fields.orderId === undefined,
        ),
      ).toBe(true);
    });
  }, 90_000);
});
