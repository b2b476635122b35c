import { type BudgetVerdict, judgeBudgets, kilobytes } from './budgets.js';
import type { BenchResults } from './results.js';

/** `bench/results/latest.md`: every figure of the run in tables, the machine, and each budget's verdict. */
export function formatMarkdown(
  results: BenchResults,
  verdicts: BudgetVerdict[] = judgeBudgets(results),
): string {
  const { machine } = results;
  const lines: string[] = [
    '# orderflow benchmark',
    '',
    `Run ${results.startedAt} in ${Math.round(results.seconds)} s on ${machine.cpus} × ${machine.cpuModel}, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node} (${machine.platform}). Reproduce: \`npm ci && npm run bench\`.`,
    '',
    '## Functions: bundles and cold starts',
    '',
    `Cold-start cost: a fresh \`node\` importing the bundle, minus one importing an empty module (median). ` +
      `Reference: a bundle of the function's own SDK clients and nothing else; the two-client floor ` +
      `(DynamoDB + SNS) costs ${ms(results.twoClientFloorMs)}.`,
    '',
    '| function | role | bundle | gzip | cold start | × own clients | × two-client floor | import | first invocation | SDK clients |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...results.functions.map(
      (fn) =>
        `| ${fn.name} | ${fn.role} | ${kilobytes(fn.bundle.bytes)} | ${kilobytes(fn.bundle.gzipBytes)} | ` +
        `${ms(fn.coldStart.costMs)} | ${ratio(fn.coldStart.ratioToOwnClients)} | ${ratio(fn.coldStart.ratioToTwoClientFloor)} | ` +
        `${ms(fn.coldStart.importMs)} | ${ms(fn.coldStart.firstInvocationMs)} | ${fn.clients.join(', ')} |`,
    ),
    '',
    'Largest inputs per bundle (esbuild metafile):',
    '',
    ...results.functions.map(
      (fn) =>
        `- ${fn.name}: ${fn.bundle.largestInputs
          .slice(0, 6)
          .map(({ input, bytes }) => `${input} ${kilobytes(bytes)}`)
          .join(', ')}`,
    ),
    '',
    '## Stages: CPU per message',
    '',
    "Each stage through its real bundled handler, warm, with the SDK's network replaced by an in-process fake AWS " +
      '(command building, serialization, signing and middleware stay in).',
    '',
    '| stage | sample events | messages / invocation | CPU µs / message | SDK calls / message | naive twin µs / message | naive ÷ orderflow |',
    '|---|---|---:|---:|---|---:|---:|',
    ...results.stages.map((stage) => {
      const naive = results.naiveTwin.stages.find((candidate) => candidate.stage === stage.stage);
      return (
        `| ${stage.stage} | ${stage.event} | ${stage.messagesPerInvocation.toFixed(1)} | ${stage.cpuMicrosPerMessage.toFixed(0)} | ` +
        `${Object.entries(stage.callsPerMessage)
          .map(([operation, calls]) => `${operation} ${calls.toFixed(2)}`)
          .join(', ')} | ${naive === undefined ? '' : naive.naiveCpuMicrosPerMessage.toFixed(0)} | ` +
        `${naive === undefined ? '' : ratio(naive.slowdown)} |`
      );
    }),
    '',
    `- Middy + Logger + Metrics middleware + batch processing, per message, tracing off: ` +
      `${results.framework.overheadMicrosPerMessage.toFixed(2)} µs ` +
      `(${results.framework.wrappedMicrosPerMessage.toFixed(2)} µs wrapped, ${results.framework.bareMicrosPerMessage.toFixed(2)} µs bare). ` +
      `With tracing on, as deployed (the X-Ray SDK loaded; its async hooks track every promise): ` +
      `${results.framework.tracedWrappedMicrosPerMessage.toFixed(2)} µs wrapped.`,
    `- One paid order through the stages: ${Math.round(results.perOrder.handlerMicros)} µs of CPU; the SDK calls it makes, ` +
      `through bare clients: ${Math.round(results.perOrder.sdkCallMicros)} µs (${ratio(results.perOrder.ratioToSdkCalls)}).`,
    `- Bare client, µs per call: ${Object.entries(results.perOrder.sdkMicrosPerCall)
      .map(([operation, micros]) => `${operation} ${micros.toFixed(0)}`)
      .join(', ')}.`,
    '',
    '## End to end on the local cloud',
    '',
    "`npm run load`'s run at each concurrency (10 % racing cancels), then each emulator's floor: a bare loop of " +
      "its call, from as many callers as the budget's concurrency.",
    '',
    '| concurrency | orders | orders/s | POST→FULFILLED p50 | p95 | p99 | verdicts | emulator requests / order |',
    '|---:|---:|---:|---:|---:|---:|---|---|',
    ...results.endToEnd.runs.map(
      (run) =>
        `| ${run.concurrency} | ${run.orders} | ${run.ordersPerSecond.toFixed(1)} | ${ms(run.p50Ms)} | ${ms(run.p95Ms)} | ` +
        `${ms(run.p99Ms)} | ${run.allPassed ? 'all pass' : 'FAILED'} | ${Object.entries(
          run.emulatorRequestsPerOrder,
        )
          .map(([emulator, requests]) => `${emulator} ${requests.toFixed(1)}`)
          .join(', ')} |`,
    ),
    '',
    `Requests per order are those the orders caused: each emulator's idle requests (the pollers', per second: ${Object.entries(
      results.endToEnd.idleRequestsPerSecond,
    )
      .map(([emulator, rate]) => `${emulator} ${rate.toFixed(1)}`)
      .join(', ')}) are taken off for the length of the run.`,
    '',
    '| emulator floor | calls/s |',
    '|---|---:|',
    ...results.endToEnd.floors.map(
      (floor) => `| ${floor.loop} (${floor.emulator}) | ${floor.callsPerSecond.toFixed(0)} |`,
    ),
    '',
    results.endToEnd.bound === undefined
      ? 'No emulator bound could be computed.'
      : `The bound: ${results.endToEnd.bound.emulator} allows ${results.endToEnd.bound.ordersPerSecond.toFixed(1)} orders/s ` +
        "(its floor ÷ its requests per order at the budget's concurrency).",
    '',
    '## Budgets (`npm run bench -- --check`)',
    '',
    '| budget | measured | allowed | holds |',
    '|---|---|---|---|',
    ...verdicts.map(
      (verdict) =>
        `| ${verdict.budget} | ${verdict.measured} | ${verdict.allowed} | ${verdict.holds ? 'yes' : '**no**'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** The lines `npm run bench` prints when it is done: the headline figures and every budget missed. */
export function formatSummary(results: BenchResults, verdicts: BudgetVerdict[]): string[] {
  const missed = verdicts.filter((verdict) => !verdict.holds);
  const atTwenty = results.endToEnd.runs.find(({ concurrency }) => concurrency === 20);
  return [
    `bench: ${results.functions.length} functions, ${results.stages.length} stages, ${results.endToEnd.runs.length} load runs in ${Math.round(results.seconds)} s`,
    `bundles      ${results.functions.map((fn) => `${fn.name} ${kilobytes(fn.bundle.bytes)}`).join(', ')}`,
    `cold start   ${results.functions.map((fn) => `${fn.name} ${ms(fn.coldStart.costMs)} (${ratio(fn.coldStart.ratioToOwnClients)})`).join(', ')}; two-client floor ${ms(results.twoClientFloorMs)}`,
    `framework    ${results.framework.overheadMicrosPerMessage.toFixed(2)} µs per message`,
    `per order    ${Math.round(results.perOrder.handlerMicros)} µs CPU, ${ratio(results.perOrder.ratioToSdkCalls)} its SDK calls`,
    `naive twin   ${results.naiveTwin.stages.map((stage) => `${stage.stage} ${ratio(stage.slowdown)}`).join(', ')}`,
    `end to end   ${results.endToEnd.runs.map((run) => `c${run.concurrency} ${run.ordersPerSecond.toFixed(1)}/s p99 ${ms(run.p99Ms)}`).join(', ')}` +
      (results.endToEnd.bound === undefined
        ? ''
        : `; bound ${results.endToEnd.bound.emulator} ${results.endToEnd.bound.ordersPerSecond.toFixed(1)}/s` +
          (atTwenty === undefined
            ? ''
            : ` (${Math.round((atTwenty.ordersPerSecond / results.endToEnd.bound.ordersPerSecond) * 100)} % reached at 20)`)),
    missed.length === 0
      ? 'budgets      every budget holds'
      : `budgets      ${missed.length} of ${verdicts.length} missed:`,
    ...missed.map(
      (verdict) => `  MISSED ${verdict.budget}: ${verdict.measured} (allowed ${verdict.allowed})`,
    ),
  ];
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}
