import { describe, expect, it } from 'vitest';
import { perOrderCost } from '../../bench/bench.js';
import { BUDGETS, judgeBudgets } from '../../bench/budgets.js';
import { countCalls, emulatorBound, requestsPerOrder } from '../../bench/end-to-end.js';
import { roleOf } from '../../bench/packaged-functions.js';
import type { BenchResults, EndToEndRun } from '../../bench/results.js';

function run(overrides: Partial<EndToEndRun> = {}): EndToEndRun {
  return {
    concurrency: 20,
    orders: 400,
    ordersPerSecond: 120,
    p50Ms: 200,
    p95Ms: 500,
    p99Ms: 800,
    allPassed: true,
    emulatorRequestsPerOrder: { dynamodb: 20, sqsSns: 15 },
    ...overrides,
  };
}

/** Results where every budget holds, with room; a test changes one figure. */
function holding(): BenchResults {
  return {
    startedAt: '2026-12-02T00:00:00.000Z',
    seconds: 300,
    machine: { cpus: 2, cpuModel: 'test', memoryGiB: 24, node: 'v20.20.2', platform: 'linux x64' },
    functions: [
      {
        name: 'getOrder',
        role: 'read-only',
        clients: ['client-dynamodb'],
        bundle: { bytes: 370_000, gzipBytes: 100_000, largestInputs: [] },
        coldStart: {
          costMs: 110,
          ownClientsCostMs: 100,
          ratioToOwnClients: 1.1,
          ratioToTwoClientFloor: 1.0,
          importMs: 90,
          firstInvocationMs: 20,
        },
      },
    ],
    twoClientFloorMs: 110,
    stages: [],
    framework: {
      bareMicrosPerMessage: 1,
      wrappedMicrosPerMessage: 2,
      overheadMicrosPerMessage: 1,
      tracedWrappedMicrosPerMessage: 3,
    },
    perOrder: { handlerMicros: 1100, sdkCallMicros: 1000, ratioToSdkCalls: 1.1, sdkMicrosPerCall: {} },
    naiveTwin: {
      stages: [
        { stage: 'createOrder', cpuMicrosPerMessage: 100, naiveCpuMicrosPerMessage: 400, slowdown: 4 },
      ],
    },
    endToEnd: { runs: [run()], floors: [], idleRequestsPerSecond: {} },
  };
}

function missed(results: BenchResults): string[] {
  return judgeBudgets(results)
    .filter((verdict) => !verdict.holds)
    .map((verdict) => verdict.budget);
}

describe('the benchmark budgets', () => {
  it('hold, every one, when every figure is within its budget', () => {
    expect(missed(holding())).toEqual([]);
  });

  it('name exactly the budget a figure misses', () => {
    const results = holding();
    const fn = results.functions[0] as BenchResults['functions'][number];
    fn.bundle.bytes = 380_001;
    expect(missed(results)).toEqual(['bundle getOrder (read-only)']);

    const cold = holding();
    (cold.functions[0] as BenchResults['functions'][number]).coldStart.ratioToOwnClients = 1.26;
    expect(missed(cold)).toEqual(['cold start getOrder vs its own clients (client-dynamodb)']);

    const framework = holding();
    framework.framework.overheadMicrosPerMessage = 2.6;
    expect(missed(framework)).toEqual(['Middy + Logger + batch overhead per message']);

    const perOrder = holding();
    perOrder.perOrder.ratioToSdkCalls = 1.31;
    expect(missed(perOrder)).toEqual(['CPU per order vs the SDK calls it makes']);

    const naive = holding();
    (naive.naiveTwin.stages[0] as BenchResults['naiveTwin']['stages'][number]).slowdown = 2.9;
    expect(missed(naive)).toEqual(['naive twin slower per message: createOrder']);
  });

  it('take end to end as held by the absolute figures, or by half of what the bounding emulator allows', () => {
    const slow = holding();
    slow.endToEnd.runs = [run({ ordersPerSecond: 30, p99Ms: 3000 })];
    expect(missed(slow)).toEqual([`end to end at concurrency ${BUDGETS.endToEndConcurrency}`]);

    slow.endToEnd.bound = { emulator: 'dynamodb', ordersPerSecond: 59 };
    expect(missed(slow)).toEqual([]);
    slow.endToEnd.bound = { emulator: 'dynamodb', ordersPerSecond: 61 };
    expect(missed(slow)).toEqual([`end to end at concurrency ${BUDGETS.endToEndConcurrency}`]);
  });

  it('never take end to end as held when a verdict of the load run failed, or nothing ran at that concurrency', () => {
    const failed = holding();
    failed.endToEnd.runs = [run({ allPassed: false })];
    failed.endToEnd.bound = { emulator: 'dynamodb', ordersPerSecond: 1 };
    expect(missed(failed)).toEqual([`end to end at concurrency ${BUDGETS.endToEndConcurrency}`]);

    const none = holding();
    none.endToEnd.runs = [run({ concurrency: 5 })];
    expect(missed(none)).toEqual([`end to end at concurrency ${BUDGETS.endToEndConcurrency}`]);
  });
});

describe("an emulator's floor loop", () => {
  it('counts every call of every concurrent caller', async () => {
    let made = 0;
    const { calls } = await countCalls(
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        made += 1;
        return 2;
      },
      20,
      50,
    );
    expect(made).toBeGreaterThan(20);
    expect(calls).toBe(made * 2);
  });
});

describe('the emulator bound', () => {
  it('is the emulator that allows the fewest orders/s: its best floor over its requests per order', () => {
    const bound = emulatorBound(
      [
        { loop: 'dynamodb PutItem', emulator: 'dynamodb', callsPerSecond: 1000 },
        { loop: 'sns Publish', emulator: 'sqsSns', callsPerSecond: 300 },
        { loop: 'sqs trio', emulator: 'sqsSns', callsPerSecond: 600 },
        { loop: 'kinesis PutRecords', emulator: 'kinesis', callsPerSecond: 500 },
      ],
      run({ emulatorRequestsPerOrder: { dynamodb: 20, sqsSns: 30, kinesis: 2, iotData: 3 } }),
    );
    expect(bound).toEqual({ emulator: 'sqsSns', ordersPerSecond: 20 });
  });

  it("counts only the requests the orders caused: the idle pollers' requests for the run's length come off", () => {
    const perOrder = requestsPerOrder(
      { sqsSns: 1200, dynamodb: 500, kinesis: 300, iotData: 40 },
      { sqsSns: 10, dynamodb: 0, kinesis: 20, iotData: 0 },
      10,
      100,
    );
    expect(perOrder).toEqual({ sqsSns: 11, dynamodb: 5, kinesis: 1, iotData: 0.4 });
  });

  it('never counts fewer than zero requests per order', () => {
    const perOrder = requestsPerOrder(
      { sqsSns: 5, dynamodb: 0, kinesis: 0, iotData: 0 },
      { sqsSns: 10, dynamodb: 0, kinesis: 0, iotData: 0 },
      10,
      1,
    );
    expect(perOrder.sqsSns).toBe(0);
  });

  it('is unknown without a run at the budget concurrency', () => {
    expect(
      emulatorBound([{ loop: 'x', emulator: 'dynamodb', callsPerSecond: 1 }], undefined),
    ).toBeUndefined();
  });
});

describe('the CPU of one order', () => {
  const stage = (name: string, micros: number, calls: Record<string, number>) => ({
    stage: name,
    event: name,
    messagesPerInvocation: 1,
    cpuMicrosPerMessage: micros,
    callsPerMessage: calls,
  });

  it('adds each stage per message of a paid order, and the SDK calls those messages made at bare-client cost', () => {
    const cost = perOrderCost(
      [
        stage('createOrder', 300, { 'dynamodb:PutItem': 2, 'sns:Publish': 1 }),
        stage('payOrder', 300, { 'dynamodb:GetItem': 1 }),
        stage('processOrder', 200, { 'kinesis:PutRecords': 0.5 }),
        stage('aggregateAnalytics', 100, { 'dynamodb:UpdateItem': 1 }),
        stage('notifyCustomer', 50, { 'iot-data:Publish': 1 }),
      ],
      {
        'dynamodb:PutItem': 50,
        'sns:Publish': 100,
        'dynamodb:GetItem': 40,
        'kinesis:PutRecords': 80,
        'dynamodb:UpdateItem': 60,
        'iot-data:Publish': 30,
      },
    );
    // 300 + 300 + 2×200 + 3×100 + 3×50; SDK: (2×50 + 100) + 40 + 2×0.5×80 + 3×60 + 3×30
    expect(cost.handlerMicros).toBe(1450);
    expect(cost.sdkCallMicros).toBe(590);
    expect(cost.ratioToSdkCalls).toBeCloseTo(1450 / 590);
  });

  it('fails when a stage of the order or the cost of one of its calls was not measured', () => {
    expect(() => perOrderCost([], {})).toThrow(/no stage createOrder/);
    expect(() =>
      perOrderCost(
        ['createOrder', 'payOrder', 'processOrder', 'aggregateAnalytics', 'notifyCustomer'].map((name) =>
          stage(name, 1, { 'dynamodb:Scan': 1 }),
        ),
        {},
      ),
    ).toThrow(/no bare-client cost was measured for dynamodb:Scan/);
  });
});

describe("a function's role", () => {
  it('is read-only for GET routes alone, consumer for a queue or stream, writer otherwise', () => {
    expect(roleOf([{ httpApi: { method: 'GET', path: '/orders/{orderId}' } }])).toBe('read-only');
    expect(roleOf([{ httpApi: { method: 'POST', path: '/orders' } }])).toBe('writer');
    expect(roleOf([{ sqs: { arn: 'x' } }])).toBe('consumer');
    expect(roleOf([{ stream: { type: 'kinesis' } }])).toBe('consumer');
    expect(roleOf([])).toBe('writer');
  });
});
