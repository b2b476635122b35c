import * as z from '../core/zod.js';

/**
 * What a chaos run breaks, and how often: one plan, split into the part the functions apply to themselves (their SDK
 * calls, their crashes, their poison events: `ORDERFLOW_CHAOS`, which only the local cloud sets) and the part the
 * local cloud applies around them (its pollers and its SNS → SQS deliveries). Pure: rates and a seed, no I/O.
 */

/** The AWS services the functions call, as the fault injector names them. */
export const SDK_SERVICES = ['dynamodb', 'sns', 'sqs', 'kinesis', 'iot-data', 'lambda'] as const;
export type SdkService = (typeof SDK_SERVICES)[number];

/** Every kind of fault the injector counts, by where it strikes. */
export const FAULT_KINDS = [
  /** An SDK call refused with a throttling error before it reached the service. */
  'sdk-throttling',
  /** An SDK call answered with a 5xx before it did anything. */
  'sdk-server-error',
  /** An SDK call that did its work but whose answer never came back (TimeoutError). */
  'sdk-timeout',
  /** A consumer's execution environment dies right after one of its writes, in the middle of its batch. */
  'function-crash',
  /** A consumer fails one event on every delivery, until its retries run out (DLQ, or the on-failure queue). */
  'poison-event',
  /** A message the poller deleted comes back: the delete was lost, the message is delivered again. */
  'sqs-duplicate',
  /** A batch's visibility timeout runs out while the function still works on it: another poller takes it too. */
  'visibility-expired',
  /** SNS delivers to a queue only after retrying; the message group's later messages wait behind it. */
  'sns-delivery-delayed',
  /** SNS gives up on a delivery after its retries: the message goes to the subscription's DLQ. */
  'sns-dead-lettered',
  /** SNS delivers one message to a queue twice, the second time later. */
  'sns-duplicate',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The whole plan of a run. Every rate is a probability from 0 to 1, per call, write, event, message or batch. */
export interface FaultPlan {
  /** Seeds every draw: the same seed repeats the workload and each injector's sequence of decisions. */
  seed: number;
  /** Per service: the chance that one SDK call of a function fails transiently. */
  sdkErrorRate: Record<SdkService, number>;
  /** Per successful write of a consumer (a function with an event source): the chance it crashes right after. */
  crashAfterWriteRate: number;
  /** Per event: the chance that processOrder and aggregateAnalytics fail it on every delivery. */
  poisonEventRate: number;
  /** Per message a poller deletes: the chance the delete is lost, so the message is delivered again. */
  sqsDuplicateRate: number;
  /** Per batch a poller receives: the chance its visibility timeout expires while it is in flight. */
  visibilityExpiryRate: number;
  /** Per SNS → SQS delivery: the chance it is delivered only after retries. */
  snsDelayRate: number;
  /** Per SNS → SQS delivery: the chance SNS gives up and sends it to the subscription DLQ. */
  snsDeadLetterRate: number;
  /** Per SNS → SQS delivery: the chance it is delivered twice. */
  snsDuplicateRate: number;
}

/**
 * The plan of `npm run chaos -- --fault-rate R`: every SDK call of a function fails with probability R, and the
 * rarer, heavier faults (a crash, a poison event, a dead-lettered delivery) scale with R.
 *
 * @example planForFaultRate(0.2, 7).crashAfterWriteRate // 0.01: one write in a hundred crashes its consumer
 */
export function planForFaultRate(rate: number, seed: number): FaultPlan {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`A fault rate is from 0 to 1 (got ${rate})`);
  return {
    seed,
    sdkErrorRate: Object.fromEntries(SDK_SERVICES.map((service) => [service, rate])) as Record<
      SdkService,
      number
    >,
    crashAfterWriteRate: rate / 20,
    poisonEventRate: rate / 50,
    sqsDuplicateRate: rate / 4,
    visibilityExpiryRate: rate / 10,
    snsDelayRate: rate / 4,
    snsDeadLetterRate: rate / 50,
    snsDuplicateRate: rate / 10,
  };
}

/** No fault at all: what the functions and the local cloud do once a run turns the faults off. */
export function noFaults(seed: number): FaultPlan {
  return planForFaultRate(0, seed);
}

/** The environment variable that gives a function its faults (JSON, `FunctionFaults`). Never set when deployed. */
export const FUNCTION_FAULTS_VARIABLE = 'ORDERFLOW_CHAOS';

/** The part of a plan a function applies to itself. */
export interface FunctionFaults {
  seed: number;
  sdkErrorRate: Partial<Record<SdkService, number>>;
  crashAfterWriteRate: number;
  poisonEventRate: number;
}

/**
 * What one function of the stack is given: SDK errors for every function; crashes only for the consumers (a
 * function an event source invokes, which a redelivery brings back); poison events for every function that reads
 * its fault switch (processOrder, aggregateAnalytics).
 */
export function functionFaultsOf(plan: FaultPlan, { consumer }: { consumer: boolean }): FunctionFaults {
  return {
    seed: plan.seed,
    sdkErrorRate: plan.sdkErrorRate,
    crashAfterWriteRate: consumer ? plan.crashAfterWriteRate : 0,
    poisonEventRate: plan.poisonEventRate,
  };
}

const rate = z.number().check(z.minimum(0), z.maximum(1));
const functionFaultsSchema = z.strictObject({
  seed: z.number().check(z.int()),
  sdkErrorRate: z.partialRecord(z.enum(SDK_SERVICES), rate),
  crashAfterWriteRate: rate,
  poisonEventRate: rate,
});

/** The faults of `ORDERFLOW_CHAOS` is not what the local cloud writes there. */
export class FaultPlanError extends Error {
  override readonly name = 'FaultPlanError';
}

/**
 * The faults a function was given, or `undefined` when the variable is unset or empty (every deployed stage). A value
 * that does not parse fails the cold start: a chaos run must never run quietly without its faults.
 */
export function readFunctionFaults(env: NodeJS.ProcessEnv = process.env): FunctionFaults | undefined {
  const text = env[FUNCTION_FAULTS_VARIABLE];
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FaultPlanError(`${FUNCTION_FAULTS_VARIABLE} is not JSON; unset it to turn the faults off`, {
      cause: error,
    });
  }
  const parsed = functionFaultsSchema.safeParse(value);
  if (!parsed.success) {
    throw new FaultPlanError(
      `${FUNCTION_FAULTS_VARIABLE} is not a fault plan (${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ')}); unset it to turn the faults off`,
    );
  }
  return parsed.data;
}

/** The value of `ORDERFLOW_CHAOS` for a function: what `readFunctionFaults` reads back. */
export function writeFunctionFaults(faults: FunctionFaults): string {
  return JSON.stringify(faults);
}
