import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageStack } from '../local/package-stack.js';
import { BUDGETS } from './budgets.js';
import {
  buildReferenceBundle,
  esbuildOptionsOf,
  measureBundle,
  referenceKey,
  TWO_CLIENT_FLOOR,
} from './bundles.js';
import type { StageJob } from './child/stage-job.js';
import { type EndToEndPlan, type EndToEndProgress, emulatorBound, measureEndToEnd } from './end-to-end.js';
import { type PackagedFunction, readPackagedFunctions } from './packaged-functions.js';
import { benchEnvironment, median, runResultProcess, timeImportProcess } from './processes.js';
import type { BenchResults, FunctionResult, NaiveStageResult, StageResult } from './results.js';
import {
  type BuiltScripts,
  buildScripts,
  MESSAGES_PER_ORDER,
  messagesIn,
  readSampleEvent,
  runStageJob,
  STAGES,
  stageEnvironment,
  tableItemsFor,
} from './stages.js';

export interface BenchOptions {
  /** Where the benchmark packages the stack and builds what it runs (`.local-cloud/bench`). */
  workDir: string;
  /** Reuse the last package instead of running `serverless package`. */
  package: boolean;
  /** Fresh processes per cold-start median (≥ 11). */
  coldStartProcesses: number;
  /** Fresh processes per first-invocation median. */
  firstInvocationProcesses: number;
  /** Messages measured per stage. */
  messagesPerStage: number;
  endToEnd: EndToEndPlan;
  onProgress: (progress: BenchProgress) => void;
}

export type BenchProgress =
  | {
      phase: 'package' | 'bundles' | 'stages' | 'naive twin' | 'sdk calls' | 'framework';
      done: number;
      total: number;
      detail: string;
    }
  | { phase: 'cold start' | 'first invocation'; done: number; total: number; detail: string }
  | { phase: 'end to end'; done: number; total: number; detail: string };

export const DEFAULT_PLAN: EndToEndPlan = {
  levels: [
    { concurrency: 1, orders: 40 },
    { concurrency: 5, orders: 150 },
    { concurrency: 10, orders: 250 },
    { concurrency: 20, orders: 400 },
    { concurrency: 40, orders: 400 },
  ],
  floorSeconds: 4,
  floorConcurrency: BUDGETS.endToEndConcurrency,
};

/** Runs every measurement of `npm run bench`, in the order that keeps the machine quiet for the timed ones. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { workDir, onProgress } = options;
  const packageDir = join(workDir, 'package');
  if (options.package) {
    onProgress({ phase: 'package', done: 0, total: 1, detail: 'serverless package --stage local' });
    await packageStack({ stage: 'local', outputDir: packageDir });
    onProgress({ phase: 'package', done: 1, total: 1, detail: 'packaged' });
  }
  const { functions, esbuildOptions: custom } = await readPackagedFunctions(
    packageDir,
    join(workDir, 'functions'),
  );
  const esbuildOptions = esbuildOptionsOf(custom);

  const measured = new Map<string, { bundle: FunctionResult['bundle']; clients: string[] }>();
  for (const [index, fn] of functions.entries()) {
    onProgress({ phase: 'bundles', done: index, total: functions.length, detail: fn.name });
    measured.set(fn.name, await measureBundle(fn, esbuildOptions));
  }
  onProgress({ phase: 'bundles', done: functions.length, total: functions.length, detail: 'measured' });

  const referenceDir = join(workDir, 'reference');
  const references = new Map<string, string>();
  const referenceFor = async (clients: readonly string[]) => {
    const key = referenceKey(clients);
    const existing = references.get(key);
    if (existing !== undefined) return existing;
    const path = await buildReferenceBundle(clients, esbuildOptions, referenceDir);
    references.set(key, path);
    return path;
  };
  const floorBundle = await referenceFor(TWO_CLIENT_FLOOR);
  for (const fn of functions) await referenceFor(clientsOf(measured, fn));
  const emptyModule = join(referenceDir, 'empty.js');
  await writeFile(emptyModule, 'export {};\n');
  const scripts = await buildScripts(workDir, esbuildOptions);

  const coldStart = await measureColdStarts(functions, references, floorBundle, emptyModule, options);
  const firstInvocations = await measureFirstInvocations(functions, scripts, options);

  const functionResults: FunctionResult[] = functions.map((fn) => {
    const { bundle, clients } = measured.get(fn.name) as {
      bundle: FunctionResult['bundle'];
      clients: string[];
    };
    const own = coldStart.costOf(references.get(referenceKey(clientsOf(measured, fn))) as string);
    const cost = coldStart.costOf(fn.bundlePath);
    const first = firstInvocations.get(fn.name);
    return {
      name: fn.name,
      role: fn.role,
      clients: clients.map((name) => name.replace('@aws-sdk/', '')),
      bundle,
      coldStart: {
        costMs: cost,
        ownClientsCostMs: own,
        ratioToOwnClients: cost / own,
        ratioToTwoClientFloor: cost / coldStart.floorMs,
        importMs: first?.importMs ?? Number.NaN,
        firstInvocationMs: first?.firstInvocationMs ?? Number.NaN,
      },
    };
  });

  const stages = await measureStages(functions, scripts, options);
  const naive = await measureNaiveTwin(functions, scripts, stages, options);
  onProgress({ phase: 'sdk calls', done: 0, total: 1, detail: 'bare clients' });
  const sdkMicrosPerCall = await measureSdkCalls(scripts);
  onProgress({ phase: 'sdk calls', done: 1, total: 1, detail: 'bare clients' });
  onProgress({ phase: 'framework', done: 0, total: 1, detail: 'Middy + Powertools + batch' });
  const framework = await measureFramework(scripts);
  onProgress({ phase: 'framework', done: 1, total: 1, detail: 'Middy + Powertools + batch' });

  const perOrder = perOrderCost(stages, sdkMicrosPerCall);

  let levelsDone = 0;
  const total = options.endToEnd.levels.length + 1;
  const endToEnd = await measureEndToEnd(packageDir, options.endToEnd, (progress: EndToEndProgress) => {
    if (progress.phase === 'load') {
      const { progress: load } = progress;
      const detail =
        load.phase === 'placing'
          ? `concurrency ${progress.concurrency}: placed ${load.placed}/${load.total}`
          : `concurrency ${progress.concurrency}: settled ${load.settled}/${load.total}`;
      const index = options.endToEnd.levels.findIndex(
        ({ concurrency }) => concurrency === progress.concurrency,
      );
      levelsDone = index;
      onProgress({ phase: 'end to end', done: levelsDone, total, detail });
    } else {
      onProgress({ phase: 'end to end', done: total - 1, total, detail: `floor: ${progress.loop}` });
    }
  });
  onProgress({ phase: 'end to end', done: total, total, detail: 'done' });
  const atBudget = endToEnd.runs.find(({ concurrency }) => concurrency === BUDGETS.endToEndConcurrency);
  const bound = emulatorBound(endToEnd.floors, atBudget);

  const cpu = cpus()[0];
  return {
    startedAt,
    seconds: (performance.now() - started) / 1000,
    machine: {
      cpus: cpus().length,
      cpuModel: cpu?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    functions: functionResults,
    twoClientFloorMs: coldStart.floorMs,
    stages,
    framework: {
      ...framework,
      overheadMicrosPerMessage: Math.max(
        0,
        framework.wrappedMicrosPerMessage - framework.bareMicrosPerMessage,
      ),
    },
    perOrder,
    naiveTwin: { stages: naive },
    endToEnd: {
      ...endToEnd,
      idleRequestsPerSecond: { ...endToEnd.idleRequestsPerSecond },
      ...(bound === undefined ? {} : { bound }),
    },
  };
}

function clientsOf(measured: Map<string, { clients: string[] }>, fn: PackagedFunction): string[] {
  return measured.get(fn.name)?.clients ?? [];
}

/**
 * Cold-start cost: the wall time of a fresh `node` that imports a bundle and exits, minus that of one importing an
 * empty module; the median over `coldStartProcesses` rounds, each round running every bundle once in turn (so that
 * whatever the machine does meanwhile falls on all of them alike). Each function's environment is its own.
 */
async function measureColdStarts(
  functions: readonly PackagedFunction[],
  references: Map<string, string>,
  floorBundle: string,
  emptyModule: string,
  options: BenchOptions,
): Promise<{ costOf(path: string): number; floorMs: number }> {
  const env = new Map<string, Record<string, string>>();
  for (const fn of functions) env.set(fn.bundlePath, stageEnvironment(fn));
  const targets = [
    emptyModule,
    floorBundle,
    ...new Set(references.values()),
    ...functions.map((fn) => fn.bundlePath),
  ];
  const samples = new Map<string, number[]>(targets.map((target) => [target, []]));
  const total = options.coldStartProcesses * targets.length;
  let done = 0;
  for (let round = 0; round < options.coldStartProcesses; round += 1) {
    for (const target of targets) {
      options.onProgress({
        phase: 'cold start',
        done,
        total,
        detail: `round ${round + 1}/${options.coldStartProcesses}`,
      });
      samples.get(target)?.push(await timeImportProcess(target, env.get(target) ?? benchEnvironment()));
      done += 1;
    }
  }
  options.onProgress({ phase: 'cold start', done: total, total, detail: 'measured' });
  const bare = median(samples.get(emptyModule) ?? []);
  const costOf = (path: string) => median(samples.get(path) ?? []) - bare;
  return { costOf, floorMs: costOf(floorBundle) };
}

/** In fresh processes: `import()` of each bundle and its first invocation, against the fake AWS; medians. */
async function measureFirstInvocations(
  functions: readonly PackagedFunction[],
  scripts: BuiltScripts,
  options: BenchOptions,
): Promise<Map<string, { importMs: number; firstInvocationMs: number }>> {
  const results = new Map<string, { importMs: number; firstInvocationMs: number }>();
  const runnable = functions.filter((fn) => STAGES.some((stage) => stage.functionName === fn.name));
  const total = runnable.length * options.firstInvocationProcesses;
  let done = 0;
  for (const fn of runnable) {
    const stage = STAGES.find(({ functionName }) => functionName === fn.name);
    if (stage === undefined) continue;
    const events = await Promise.all(stage.events.map(readSampleEvent));
    const imports: number[] = [];
    const firsts: number[] = [];
    for (let i = 0; i < options.firstInvocationProcesses; i += 1) {
      options.onProgress({ phase: 'first invocation', done, total, detail: fn.name });
      const job: StageJob = {
        functionName: fn.name,
        bundlePath: fn.bundlePath,
        handlerExport: fn.handlerExport,
        mode: 'first',
        events,
        items: tableItemsFor(fn),
        warmup: 0,
        iterations: 1,
      };
      const result = await runStageJob(scripts.stageProcess, job, stageEnvironment(fn));
      imports.push(result.importMs);
      firsts.push(result.firstInvocationMs ?? Number.NaN);
      done += 1;
    }
    results.set(fn.name, { importMs: median(imports), firstInvocationMs: median(firsts) });
  }
  options.onProgress({ phase: 'first invocation', done: total, total, detail: 'measured' });
  return results;
}

async function cpuJob(
  fn: PackagedFunction,
  bundlePath: string,
  events: unknown[],
  options: BenchOptions,
): Promise<StageJob> {
  const perInvocation = events.reduce<number>((sum, event) => sum + messagesIn(event), 0) / events.length;
  const iterations = Math.max(events.length, Math.ceil(options.messagesPerStage / perInvocation));
  return {
    functionName: fn.name,
    bundlePath,
    handlerExport: fn.handlerExport,
    mode: 'cpu',
    events,
    items: tableItemsFor(fn),
    warmup: Math.max(20, Math.floor(iterations / 5)),
    iterations,
  };
}

/** CPU per message of each stage through its real bundle, warm, in a fresh process of its own. */
async function measureStages(
  functions: readonly PackagedFunction[],
  scripts: BuiltScripts,
  options: BenchOptions,
): Promise<StageResult[]> {
  const results: StageResult[] = [];
  for (const [index, stage] of STAGES.entries()) {
    options.onProgress({ phase: 'stages', done: index, total: STAGES.length, detail: stage.functionName });
    const fn = functionNamed(functions, stage.functionName);
    const events = await Promise.all(stage.events.map(readSampleEvent));
    const job = await cpuJob(fn, fn.bundlePath, events, options);
    const result = await runStageJob(scripts.stageProcess, job, stageEnvironment(fn));
    const messages = messagesOf(job);
    results.push({
      stage: stage.functionName,
      event: stage.events.join(' + '),
      messagesPerInvocation: messages / job.iterations,
      cpuMicrosPerMessage: (result.cpuMicros ?? Number.NaN) / messages,
      callsPerMessage: Object.fromEntries(
        Object.entries(result.calls).map(([operation, count]) => [operation, count / messages]),
      ),
    });
  }
  options.onProgress({ phase: 'stages', done: STAGES.length, total: STAGES.length, detail: 'measured' });
  return results;
}

function messagesOf(job: StageJob): number {
  let messages = 0;
  for (let i = 0; i < job.iterations; i += 1) messages += messagesIn(job.events[i % job.events.length]);
  return messages;
}

/** The naive twin's stages, the same events, the same fake AWS, the same measurement. */
async function measureNaiveTwin(
  functions: readonly PackagedFunction[],
  scripts: BuiltScripts,
  stages: readonly StageResult[],
  options: BenchOptions,
): Promise<NaiveStageResult[]> {
  const results: NaiveStageResult[] = [];
  const twins = STAGES.filter((stage) => stage.naiveTwin !== undefined);
  for (const [index, stage] of twins.entries()) {
    options.onProgress({ phase: 'naive twin', done: index, total: twins.length, detail: stage.functionName });
    const fn = functionNamed(functions, stage.functionName);
    const bundlePath = scripts.naiveTwin[stage.functionName] as string;
    const events = await Promise.all(stage.events.map(readSampleEvent));
    const job = await cpuJob(fn, bundlePath, events, options);
    const result = await runStageJob(scripts.stageProcess, job, stageEnvironment(fn));
    const naive = (result.cpuMicros ?? Number.NaN) / messagesOf(job);
    const ours =
      stages.find((candidate) => candidate.stage === stage.functionName)?.cpuMicrosPerMessage ?? Number.NaN;
    results.push({
      stage: stage.functionName,
      cpuMicrosPerMessage: ours,
      naiveCpuMicrosPerMessage: naive,
      slowdown: naive / ours,
    });
  }
  options.onProgress({ phase: 'naive twin', done: twins.length, total: twins.length, detail: 'measured' });
  return results;
}

async function measureSdkCalls(scripts: BuiltScripts): Promise<Record<string, number>> {
  const { result, stderr, code } = await runResultProcess(scripts.sdkCallsProcess, benchEnvironment());
  if (code !== 0 || result === '')
    throw new Error(`the bare SDK calls' benchmark failed (exit ${code}): ${stderr.slice(0, 3000)}`);
  return JSON.parse(result) as Record<string, number>;
}

async function measureFramework(scripts: BuiltScripts): Promise<{
  bareMicrosPerMessage: number;
  wrappedMicrosPerMessage: number;
  tracedWrappedMicrosPerMessage: number;
}> {
  const event = await readSampleEvent('process-order');
  const run = async (traceEnabled: boolean) => {
    const env = benchEnvironment({
      BENCH_JOB: JSON.stringify({ event }),
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_SERVICE_NAME: 'orderflow',
      POWERTOOLS_TRACE_ENABLED: String(traceEnabled),
    });
    const { result, stderr, code } = await runResultProcess(scripts.frameworkProcess, env);
    if (code !== 0 || result === '')
      throw new Error(`the framework benchmark failed (exit ${code}): ${stderr.slice(0, 3000)}`);
    return JSON.parse(result) as { bareMicrosPerMessage: number; wrappedMicrosPerMessage: number };
  };
  const untraced = await run(false);
  // Outside Lambda the Tracer switches itself off, so this is the cost of having it loaded, not of sending segments.
  const traced = await run(true);
  return { ...untraced, tracedWrappedMicrosPerMessage: traced.wrappedMicrosPerMessage };
}

/**
 * One paid order's CPU through the stages (`MESSAGES_PER_ORDER` messages each), and the CPU of the SDK calls those
 * messages made, each at what a bare client takes for it.
 */
export function perOrderCost(
  stages: readonly StageResult[],
  sdkMicrosPerCall: Record<string, number>,
): BenchResults['perOrder'] {
  let handlerMicros = 0;
  let sdkCallMicros = 0;
  for (const [stageName, messages] of Object.entries(MESSAGES_PER_ORDER)) {
    const stage = stages.find((candidate) => candidate.stage === stageName);
    if (stage === undefined) throw new Error(`no stage ${stageName} was measured`);
    handlerMicros += stage.cpuMicrosPerMessage * messages;
    for (const [operation, callsPerMessage] of Object.entries(stage.callsPerMessage)) {
      const perCall = sdkMicrosPerCall[operation];
      if (perCall === undefined) throw new Error(`no bare-client cost was measured for ${operation}`);
      sdkCallMicros += perCall * callsPerMessage * messages;
    }
  }
  return { handlerMicros, sdkCallMicros, ratioToSdkCalls: handlerMicros / sdkCallMicros, sdkMicrosPerCall };
}

function functionNamed(functions: readonly PackagedFunction[], name: string): PackagedFunction {
  const fn = functions.find((candidate) => candidate.name === name);
  if (fn === undefined) throw new Error(`the package has no function ${name}`);
  return fn;
}

export async function writeResults(dir: string, results: BenchResults, markdown: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, 'latest.md'), markdown);
}
