import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { PROJECT_ROOT } from '../local/package-stack.js';
import type { StageResult as ChildResult, StageJob } from './child/stage-job.js';
import type { PackagedFunction } from './packaged-functions.js';
import { benchEnvironment, runResultProcess } from './processes.js';
import { BENCH_ENDPOINTS, type TableItems } from './transport/aws-responder.js';

/**
 * The stages a benchmark runs through its real bundled handler: each function with its sample events from
 * `events/` (the shapes Lambda delivers), and the naive twin's version where there is one.
 */
export interface StageDefinition {
  functionName: string;
  /** `events/<name>.json`, used in turn. */
  events: string[];
  /** `bench/naive-twin/<file>.ts` */
  naiveTwin?: string;
}

export const STAGES: StageDefinition[] = [
  { functionName: 'getOrder', events: ['get-order'] },
  {
    functionName: 'createOrder',
    events: ['create-order', 'create-order-idempotent'],
    naiveTwin: 'create-order',
  },
  { functionName: 'payOrder', events: ['pay-order'] },
  { functionName: 'cancelOrder', events: ['cancel-order'] },
  { functionName: 'processOrder', events: ['process-order'], naiveTwin: 'process-order' },
  { functionName: 'reviewOrder', events: ['review-order'] },
  { functionName: 'aggregateAnalytics', events: ['aggregate-analytics'], naiveTwin: 'aggregate-analytics' },
  { functionName: 'notifyCustomer', events: ['notify-customer'], naiveTwin: 'notify-customer' },
];

/**
 * The messages one paid order sends through the stages: its create and its pay over HTTP; `OrderPlaced` and
 * `OrderPaid` through `fulfillment.fifo`; `PLACED`, `PAID` and `FULFILLED` on the stream, each counted and notified.
 */
export const MESSAGES_PER_ORDER: Record<string, number> = {
  createOrder: 1,
  payOrder: 1,
  processOrder: 2,
  aggregateAnalytics: 3,
  notifyCustomer: 3,
};

/** Where the benchmark builds its child processes' scripts (`bench/child/*.ts`) and the naive twin's bundles. */
export interface BuiltScripts {
  stageProcess: string;
  sdkCallsProcess: string;
  frameworkProcess: string;
  naiveTwin: Record<string, string>;
}

/**
 * Bundles the child scripts (plain `node` runs them: no TypeScript loader in the measured process) and the naive
 * twin (CommonJS, as such samples ship).
 */
export async function buildScripts(outDir: string, functionOptions: BuildOptions): Promise<BuiltScripts> {
  const childOptions: BuildOptions = {
    ...functionOptions,
    target: `node${process.versions.node.split('.')[0]}`,
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'silent',
  };
  const child = async (name: string) => {
    const outfile = join(outDir, 'child', `${name}.mjs`);
    await build({
      ...childOptions,
      entryPoints: [join(PROJECT_ROOT, 'bench', 'child', `${name}.ts`)],
      outfile,
    });
    return outfile;
  };
  const naiveTwin: Record<string, string> = {};
  for (const stage of STAGES) {
    if (stage.naiveTwin === undefined) continue;
    const outfile = join(outDir, 'naive-twin', `${stage.naiveTwin}.cjs`);
    await build({
      entryPoints: [join(PROJECT_ROOT, 'bench', 'naive-twin', `${stage.naiveTwin}.ts`)],
      absWorkingDir: PROJECT_ROOT,
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      outfile,
      logLevel: 'silent',
    });
    naiveTwin[stage.functionName] = outfile;
  }
  return {
    stageProcess: await child('stage-process'),
    sdkCallsProcess: await child('sdk-calls-process'),
    frameworkProcess: await child('framework-process'),
    naiveTwin,
  };
}

export async function readSampleEvent(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(PROJECT_ROOT, 'events', `${name}.json`), 'utf8'));
}

/** Messages in one invocation's event: its records, or one request. */
export function messagesIn(event: unknown): number {
  const records = (event as { Records?: unknown[] }).Records;
  return Array.isArray(records) ? records.length : 1;
}

/**
 * The function's environment as its template gives it, pointed at the in-process fake AWS, logging at `INFO` and
 * tracing on as a deployed stage does (the local stage's package turns tracing off; on, the function loads the X-Ray
 * SDK, which then switches itself off outside Lambda: its import and its async hooks are measured, no segment is
 * sent). Its endpoints are `*.bench.invalid`: if the fake were bypassed, nothing could be reached.
 */
export function stageEnvironment(fn: PackagedFunction): Record<string, string> {
  const { NODE_OPTIONS: _sourceMaps, AWS_SHARED_CREDENTIALS_FILE: _file, ...environment } = fn.environment;
  return benchEnvironment({
    ...environment,
    ...BENCH_ENDPOINTS,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_TRACE_ENABLED: 'true',
  });
}

/**
 * What the stages' reads find: the order the sample HTTP events name, placed by their customer (`cust-42`), so that
 * a pay or a cancel is applied. Progress and analytics tables hold nothing: every sample event is new to them.
 */
export function tableItemsFor(fn: PackagedFunction): TableItems {
  const ordersTable = fn.environment.ORDERS_TABLE;
  if (ordersTable === undefined) return {};
  const at = '2026-12-01T10:00:00.000Z';
  return {
    [ordersTable]: {
      customerId: 'cust-42',
      currency: 'EUR',
      region: 'eu-west',
      items: [
        { sku: 'BOOK-1', quantity: 2, unitPrice: 1999 },
        { sku: 'PEN-7', quantity: 1, unitPrice: 250 },
      ],
      total: 4248,
      status: 'PLACED',
      version: 1,
      createdAt: at,
      updatedAt: at,
    },
  };
}

/** Runs a stage job in a fresh `node` process and returns what it measured; fails with the child's stderr. */
export async function runStageJob(
  script: string,
  job: StageJob,
  env: Record<string, string>,
): Promise<ChildResult> {
  const { result, stderr, code } = await runResultProcess(script, { ...env, BENCH_JOB: JSON.stringify(job) });
  if (code !== 0 || result === '') {
    throw new Error(`the benchmark of ${job.functionName} failed (exit ${code}): ${stderr.slice(0, 3000)}`);
  }
  const parsed = JSON.parse(result) as ChildResult;
  if (parsed.unanswered.length > 0) {
    throw new Error(
      `${job.functionName} called what the fake AWS does not answer: ${parsed.unanswered.join(', ')}`,
    );
  }
  for (const outcome of parsed.outcomes) assertSucceeded(job.functionName, outcome);
  return parsed;
}

/**
 * A benchmark of a failing stage measures the wrong thing: an HTTP answer must be 2xx, a batch must report no
 * failed item.
 */
export function assertSucceeded(functionName: string, outcome: unknown): void {
  const { statusCode, batchItemFailures, body } = (outcome ?? {}) as {
    statusCode?: number;
    batchItemFailures?: unknown[];
    body?: string;
  };
  if (statusCode !== undefined && (statusCode < 200 || statusCode >= 300)) {
    throw new Error(`${functionName} answered ${statusCode} in the benchmark: ${String(body).slice(0, 500)}`);
  }
  if (batchItemFailures !== undefined && batchItemFailures.length > 0) {
    throw new Error(`${functionName} failed ${batchItemFailures.length} record(s) in the benchmark`);
  }
}
