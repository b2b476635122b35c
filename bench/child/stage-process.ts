/**
 * A benchmark child process: runs one function bundle, as Lambda would, against the in-process fake AWS
 * (`bench/transport/`), and writes what it measured as one JSON line on file descriptor 3 (stdout and stderr are
 * the function's own log, which the parent discards or keeps).
 *
 * The job comes as JSON in `BENCH_JOB` (see `StageJob`):
 * - `first`: import the bundle, time the import and the first invocation (a cold start's init and first request);
 * - `cpu`: warm up, then CPU time (`process.cpuUsage`, user + system) over `iterations` invocations.
 */
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createAwsResponder } from '../transport/aws-responder.js';
import { installFakeTransport } from '../transport/install.js';
import type { StageJob, StageResult } from './stage-job.js';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const job = JSON.parse(process.env.BENCH_JOB ?? 'null') as StageJob | null;
if (job === null) throw new Error('BENCH_JOB is not set: this process is started by npm run bench');

const responder = createAwsResponder(job.items);
installFakeTransport(responder.respond);

function contextFor(functionName: string) {
  const deadline = Date.now() + 30_000;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function invoke(handler: Handler, event: unknown): Promise<unknown> {
  return handler(structuredClone(event), contextFor(job?.functionName ?? 'bench'));
}

const importStart = performance.now();
const module = (await import(pathToFileURL(job.bundlePath).href)) as Record<string, unknown>;
const importMs = performance.now() - importStart;
// A CommonJS bundle (the naive twin) comes as its `module.exports` under `default`.
const handler = (module[job.handlerExport] ??
  (module.default as Record<string, unknown> | undefined)?.[job.handlerExport]) as Handler | undefined;
if (typeof handler !== 'function')
  throw new Error(`${job.bundlePath} exports no function ${job.handlerExport}`);

const result: StageResult = { importMs, calls: {}, unanswered: [], outcomes: [] };
if (job.mode === 'first') {
  const start = performance.now();
  result.outcomes.push(await invoke(handler, job.events[0]));
  result.firstInvocationMs = performance.now() - start;
} else {
  for (let i = 0; i < job.warmup; i += 1) await invoke(handler, job.events[i % job.events.length]);
  responder.calls.clear();
  const before = process.cpuUsage();
  const wallStart = performance.now();
  for (let i = 0; i < job.iterations; i += 1) {
    const outcome = await invoke(handler, job.events[i % job.events.length]);
    if (i < job.events.length) result.outcomes.push(outcome);
  }
  const used = process.cpuUsage(before);
  result.cpuMicros = used.user + used.system;
  result.wallMs = performance.now() - wallStart;
}
result.calls = Object.fromEntries(responder.calls);
result.unanswered = [...new Set(responder.unanswered)];
writeSync(3, `${JSON.stringify(result)}\n`);
