/**
 * The performance budgets `npm run bench -- --check` holds the code to, and the judgement of one run against them.
 * Nothing here measures: it reads a `BenchResults` (`results.ts`).
 */
import type { BenchResults, FunctionRole } from './results.js';

/** Bundle bytes (1 KB = 1000 bytes) by what a function does: reads only, writes, or consumes a queue or stream. */
export const BUNDLE_BUDGET_BYTES: Record<FunctionRole, number> = {
  'read-only': 380_000,
  writer: 420_000,
  consumer: 460_000,
};

export const BUDGETS = {
  /** A handler's cold-start cost at most this many times that of a bundle of its own SDK clients and nothing else. */
  coldStartVsOwnClients: 1.25,
  /** ... and at most this many times that of the two-client floor (DynamoDB + SNS). */
  coldStartVsTwoClientFloor: 1.4,
  /** Middy + Logger + batch processing, per message. */
  frameworkMicrosPerMessage: 2.5,
  /** CPU per order through the handlers at most this many times the CPU of the SDK calls they make for it. */
  cpuPerOrderVsSdkCalls: 1.3,
  /** The naive twin at least this many times slower per message. */
  naiveTwinSlowdown: 3,
  /** End to end on the local cloud at this concurrency ... */
  endToEndConcurrency: 20,
  /** ... at least this many orders/s ... */
  endToEndOrdersPerSecond: 100,
  /** ... with POST→FULFILLED p99 at most this long ... */
  endToEndP99Ms: 1000,
  /** ... or, when an emulator allows less, at least this share of what the bounding emulator allows. */
  shareOfEmulatorBound: 0.5,
} as const;

/** One budget, as judged: what was measured against what is allowed, and whether it holds. */
export interface BudgetVerdict {
  budget: string;
  measured: string;
  allowed: string;
  holds: boolean;
}

/** Every budget of the run, one verdict each (a budget with nothing measured for it does not hold). */
export function judgeBudgets(results: BenchResults): BudgetVerdict[] {
  const verdicts: BudgetVerdict[] = [];
  for (const fn of results.functions) {
    const limit = BUNDLE_BUDGET_BYTES[fn.role];
    verdicts.push({
      budget: `bundle ${fn.name} (${fn.role})`,
      measured: kilobytes(fn.bundle.bytes),
      allowed: `≤ ${kilobytes(limit)}`,
      holds: fn.bundle.bytes <= limit,
    });
  }
  for (const fn of results.functions) {
    const { ratioToOwnClients, ratioToTwoClientFloor } = fn.coldStart;
    verdicts.push({
      budget: `cold start ${fn.name} vs its own clients (${fn.clients.join(' + ')})`,
      measured: times(ratioToOwnClients),
      allowed: `≤ ${times(BUDGETS.coldStartVsOwnClients)}`,
      holds: ratioToOwnClients <= BUDGETS.coldStartVsOwnClients,
    });
    verdicts.push({
      budget: `cold start ${fn.name} vs the two-client floor`,
      measured: times(ratioToTwoClientFloor),
      allowed: `≤ ${times(BUDGETS.coldStartVsTwoClientFloor)}`,
      holds: ratioToTwoClientFloor <= BUDGETS.coldStartVsTwoClientFloor,
    });
  }
  const framework = results.framework.overheadMicrosPerMessage;
  verdicts.push({
    budget: 'Middy + Logger + batch overhead per message',
    measured: `${framework.toFixed(2)} µs`,
    allowed: `≤ ${BUDGETS.frameworkMicrosPerMessage} µs`,
    holds: framework <= BUDGETS.frameworkMicrosPerMessage,
  });
  const perOrder = results.perOrder;
  verdicts.push({
    budget: 'CPU per order vs the SDK calls it makes',
    measured: `${times(perOrder.ratioToSdkCalls)} (${Math.round(perOrder.handlerMicros)} µs vs ${Math.round(perOrder.sdkCallMicros)} µs)`,
    allowed: `≤ ${times(BUDGETS.cpuPerOrderVsSdkCalls)}`,
    holds: perOrder.ratioToSdkCalls <= BUDGETS.cpuPerOrderVsSdkCalls,
  });
  for (const stage of results.naiveTwin.stages) {
    verdicts.push({
      budget: `naive twin slower per message: ${stage.stage}`,
      measured: times(stage.slowdown),
      allowed: `≥ ${times(BUDGETS.naiveTwinSlowdown)}`,
      holds: stage.slowdown >= BUDGETS.naiveTwinSlowdown,
    });
  }
  verdicts.push(judgeEndToEnd(results));
  return verdicts;
}

function judgeEndToEnd(results: BenchResults): BudgetVerdict {
  const budget = `end to end at concurrency ${BUDGETS.endToEndConcurrency}`;
  const run = results.endToEnd.runs.find(({ concurrency }) => concurrency === BUDGETS.endToEndConcurrency);
  if (run === undefined) {
    return { budget, measured: 'not measured', allowed: 'a run at that concurrency', holds: false };
  }
  const absolute =
    run.ordersPerSecond >= BUDGETS.endToEndOrdersPerSecond &&
    run.p99Ms <= BUDGETS.endToEndP99Ms &&
    run.allPassed;
  const bound = results.endToEnd.bound;
  const share = bound === undefined ? 0 : run.ordersPerSecond / bound.ordersPerSecond;
  const withinBound = bound !== undefined && share >= BUDGETS.shareOfEmulatorBound && run.allPassed;
  const measured =
    `${run.ordersPerSecond.toFixed(1)} orders/s, p99 ${Math.round(run.p99Ms)} ms` +
    (bound === undefined
      ? ''
      : `; ${Math.round(share * 100)} % of the ${bound.ordersPerSecond.toFixed(1)} orders/s ${bound.emulator} allows`) +
    (run.allPassed ? '' : '; a verdict of the run failed');
  return {
    budget,
    measured,
    allowed: `≥ ${BUDGETS.endToEndOrdersPerSecond} orders/s with p99 ≤ ${BUDGETS.endToEndP99Ms} ms, or ≥ ${BUDGETS.shareOfEmulatorBound * 100} % of the bounding emulator`,
    holds: absolute || withinBound,
  };
}

export function kilobytes(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

function times(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}
