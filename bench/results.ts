/** What one `npm run bench` measured: written as `bench/results/latest.json`, summarized as `latest.md`. */

/** What a function does, which sets its bundle budget. */
export type FunctionRole = 'read-only' | 'writer' | 'consumer';

/** A median over fresh processes, in milliseconds, and every sample it was taken from. */
export interface Timing {
  medianMs: number;
  samplesMs: number[];
}

export interface FunctionResult {
  /** Its name in serverless.yml, e.g. `createOrder`. */
  name: string;
  role: FunctionRole;
  /** The SDK clients in its bundle (`client-dynamodb`, `lib-dynamodb`, `client-sns`, ...). */
  clients: string[];
  bundle: {
    /** The bundle as packaged (`serverless package`), minified. */
    bytes: number;
    gzipBytes: number;
    /** The largest inputs of the bundle, by package (esbuild metafile of the same build). */
    largestInputs: Array<{ input: string; bytes: number }>;
  };
  coldStart: {
    /** Fresh `node` importing the bundle, minus a fresh `node` importing nothing. */
    costMs: number;
    /** The same for a bundle of its own SDK clients and nothing else, built in the same run. */
    ownClientsCostMs: number;
    ratioToOwnClients: number;
    ratioToTwoClientFloor: number;
    /** In-process: `import()` of the bundle, and its first invocation against the in-process fake AWS. */
    importMs: number;
    firstInvocationMs: number;
  };
}

export interface StageResult {
  /** The function, and the sample event it ran (`events/<file>.json`). */
  stage: string;
  event: string;
  messagesPerInvocation: number;
  /** CPU (user + system) per message through the real bundled handler, with the SDK's network faked in-process. */
  cpuMicrosPerMessage: number;
  /** The SDK calls it made per message, by `service:Operation`. */
  callsPerMessage: Record<string, number>;
}

export interface NaiveStageResult {
  stage: string;
  cpuMicrosPerMessage: number;
  naiveCpuMicrosPerMessage: number;
  /** naive ÷ orderflow */
  slowdown: number;
}

export interface EndToEndRun {
  concurrency: number;
  orders: number;
  ordersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Every verdict of the load run held (nothing lost, in order, analytics exact, DLQs empty). */
  allPassed: boolean;
  /** Requests each emulator served per order in this run, its idle pollers' requests taken off. */
  emulatorRequestsPerOrder: Record<string, number>;
}

export interface EmulatorFloor {
  /** `dynamodb PutItem`, `sns Publish`, `sqs SendMessage+ReceiveMessage`, `kinesis PutRecords` */
  loop: string;
  emulator: string;
  callsPerSecond: number;
}

export interface BenchResults {
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  functions: FunctionResult[];
  /** Cold-start cost of a bare bundle with a DynamoDB and an SNS client. */
  twoClientFloorMs: number;
  stages: StageResult[];
  framework: {
    /**
     * The same no-op record handler, bare and inside the consumers' stack (Middy, Logger and Metrics middleware,
     * BatchProcessor), per message, tracing off as on the local stage.
     */
    bareMicrosPerMessage: number;
    wrappedMicrosPerMessage: number;
    overheadMicrosPerMessage: number;
    /** The wrapped handler with tracing on, as deployed: the X-Ray SDK loaded, its async hooks tracking promises. */
    tracedWrappedMicrosPerMessage: number;
  };
  /** CPU of one order's messages through every stage, against the CPU of the same SDK calls made bare. */
  perOrder: {
    handlerMicros: number;
    sdkCallMicros: number;
    ratioToSdkCalls: number;
    /** CPU per call of each operation through a bare client and the same fake transport. */
    sdkMicrosPerCall: Record<string, number>;
  };
  naiveTwin: { stages: NaiveStageResult[] };
  endToEnd: {
    runs: EndToEndRun[];
    floors: EmulatorFloor[];
    /** Requests/s each emulator served with nothing to do (the pollers'), measured before the runs. */
    idleRequestsPerSecond: Record<string, number>;
    /** The emulator that allows the fewest orders/s, at its floor and this run's requests per order. */
    bound?: { emulator: string; ordersPerSecond: number };
  };
}
