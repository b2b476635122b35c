import type { TableItems } from '../transport/aws-responder.js';

/** What a benchmark child process runs (`stage-process.ts`), handed over as JSON in `BENCH_JOB`. */
export interface StageJob {
  /** The function's name, for its Lambda context. */
  functionName: string;
  /** Absolute path of the bundle (`functions/<file>.js`, as packaged). */
  bundlePath: string;
  /** The export Lambda calls (`handler`). */
  handlerExport: string;
  mode: 'first' | 'cpu';
  /** Invocation events, used in turn. */
  events: unknown[];
  /** What GetItem finds, by table name (`createAwsResponder`). */
  items: TableItems;
  /** `cpu`: invocations before measuring, and measured. */
  warmup: number;
  iterations: number;
}

export interface StageResult {
  /** How long `import()` of the bundle took, in this process. */
  importMs: number;
  /** `first`: the first invocation, after the import. */
  firstInvocationMs?: number;
  /** `cpu`: user + system CPU over the measured invocations, and their wall time. */
  cpuMicros?: number;
  wallMs?: number;
  /** Calls answered by the fake AWS during the measured invocations, by `service:Operation`. */
  calls: Record<string, number>;
  /** Operations the fake AWS could not answer (the measurement is then of a failing stage). */
  unanswered: string[];
  /** What the handler returned, for each distinct event (checked by the parent: a benchmark of a failure is void). */
  outcomes: unknown[];
}
